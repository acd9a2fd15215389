package result

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
)

// Bounds of a histogram read from a file. hdrhistogram-go bounds the
// inflated payload but allocates the counts array the header asks for: a
// 200-byte histogram claiming 1..2⁶² at 5 digits takes 47 MiB before one
// count is read, and a file of thousands of them hundreds of GiB. A hostile
// baseline (a pull request's artifact) must not stall or kill the gate.
// loadgate writes 1..60 s in µs at 3 digits; these bounds leave room for
// other ranges while keeping the counts array under a megabyte.
const (
	maxHistDigits  = 3
	maxHistHighest = int64(1) << 40 // µs: 12 days
)

// checkGeometry reads the header of an encoded histogram (base64 of a
// V2-compressed HdrHistogram: an 8-byte envelope, then zlib of a 40-byte
// header and the counts) and refuses a geometry beyond the bounds above.
func checkGeometry(enc string) error {
	if len(enc) < 12 {
		return nil // too short to hold a header: the decoder names the problem
	}
	// Only the envelope and the start of the zlib stream are needed.
	prefix := enc
	if len(prefix) > 4096 {
		prefix = prefix[:4096]
	}
	prefix = prefix[:len(prefix)/4*4]
	raw, err := base64.StdEncoding.DecodeString(prefix)
	if err != nil || len(raw) < 8 {
		return nil // the decoder reports it
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[8:]))
	if err != nil {
		return nil
	}
	var hdr [40]byte
	if _, err := io.ReadFull(z, hdr[:]); err != nil {
		return nil
	}
	digits := int32(binary.BigEndian.Uint32(hdr[12:16]))
	low := int64(binary.BigEndian.Uint64(hdr[16:24]))
	high := int64(binary.BigEndian.Uint64(hdr[24:32]))
	if digits < 1 || digits > maxHistDigits || low < 1 || high < 2*low || high > maxHistHighest {
		return fmt.Errorf("histogram range %d..%d at %d significant digits is beyond what loadgate reads (1..%d, at most %d digits)",
			low, high, digits, maxHistHighest, maxHistDigits)
	}
	return nil
}
