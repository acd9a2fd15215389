// Command target is the loopback server of loadgate's benchmarks:
//
//	hello  answers "hello" at once (generator efficiency)
//	delay  answers after 1 s (memory and accuracy with many users)
//	stall  answers at once, but freezes every response for 1 s once every
//	       5 s (open-model accuracy: the true p99 is about 950 ms at any rate)
//
// It serves only loopback addresses.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address (loopback)")
	mode := flag.String("mode", "hello", "hello | delay | stall")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("target: %s is not a loopback address", *addr)
	}
	body := []byte("hello")
	start := time.Now()
	var h http.HandlerFunc
	switch *mode {
	case "hello":
		h = func(w http.ResponseWriter, r *http.Request) { w.Write(body) }
	case "delay":
		h = func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Second)
			w.Write(body)
		}
	case "stall":
		h = func(w http.ResponseWriter, r *http.Request) {
			if phase := time.Since(start) % (5 * time.Second); phase < time.Second {
				time.Sleep(time.Second - phase)
			}
			w.Write(body)
		}
	default:
		log.Fatalf("target: unknown mode %q", *mode)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
