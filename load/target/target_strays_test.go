//go:build linux

package target

import (
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/loadgate/loadgate/load/config"
)

// TestTargetStopEndsSetsidDaemons: processes that left the target's
// process group (setsid, as a daemon does) are stopped with it: the plain
// one by the SIGTERM, the one that ignores SIGTERM (a shell and its sleep)
// by SIGKILL at StopTimeout. Before, all three outlived loadgate.
func TestTargetStopEndsSetsidDaemons(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("no setsid")
	}
	spec := &config.StartSpec{Command: []string{"sh", "-c",
		`setsid sleep 300 & setsid sh -c 'trap "" TERM; sleep 300' & wait`},
		StopTimeout: 300 * time.Millisecond}
	tg := start(t, spec, "")
	var strays []int
	for end := time.Now().Add(5 * time.Second); len(strays) < 3 && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
		strays = tg.strays()
	}
	t.Cleanup(func() { signalPids(strays, syscall.SIGKILL) })
	if len(strays) != 3 {
		t.Fatalf("found %d processes outside the group with the mark, want the 3 daemon processes", len(strays))
	}
	for _, p := range strays {
		if _, g, _ := procStat(p); g == tg.Pid() {
			t.Fatalf("pid %d is in the target's group: setsid did not take", p)
		}
	}
	begin := time.Now()
	if err := tg.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if d := time.Since(begin); d < 300*time.Millisecond || d > 5*time.Second {
		t.Errorf("Stop took %v; want StopTimeout (300 ms) for the SIGTERM-ignoring daemon, then SIGKILL", d)
	}
	if left := markedPids(tg.mark, 0); len(left) > 0 {
		t.Errorf("processes still running after Stop: %v", left)
	}
}
