package target

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/load/config"
)

// busySpec is an app of two busy processes forked after a pause, so that
// a counter opened on the first process as it starts sees them born.
func busySpec(t *testing.T) *config.StartSpec {
	return &config.StartSpec{
		Command:     []string{"sh", "-c", "sleep 0.3; (while :; do :; done) & (while :; do :; done) & wait"},
		Dir:         t.TempDir(),
		StopTimeout: 2 * time.Second,
	}
}

// TestPerfCountsTheWholeTree counts the app's tree the way instructions
// are counted, with the software task clock in place of the instruction
// counter (this machine may have no PMU; every Linux has the task clock),
// and sets the count beside the CPU time its meter reads over the same
// second and a half: they must agree, for the cgroup's counters and for
// the inherited counter of the first process.
func TestPerfCountsTheWholeTree(t *testing.T) {
	saved := instrEvent
	instrEvent = perfEvent{perfTypeSoftware, perfCountSWTask}
	t.Cleanup(func() { instrEvent = saved })

	for _, mode := range []string{"cgroup", "tree"} {
		t.Run(mode, func(t *testing.T) {
			tg := start(t, busySpec(t), "")
			if mode == "cgroup" && tg.cg == nil {
				t.Skip("loadgate cannot make a cgroup v2 here")
			}
			if mode == "tree" {
				c, err := countTree(instrEvent, tg.pgid)
				if err != nil {
					t.Skipf("perf_event_open on a child: %v", err)
				}
				tg.instr.close()
				tg.instr = c
			}
			if tg.instr == nil {
				t.Skipf("perf_event_open: %s", tg.instrWhy)
			}
			m, err := tg.Meter()
			if err != nil {
				t.Fatal(err)
			}
			ic, ok := m.(instrCounter)
			if !ok {
				t.Fatalf("%T counts no instructions", m)
			}
			time.Sleep(500 * time.Millisecond) // both busy processes run
			read := func() (cpu, count float64) {
				cpu, _, _, err := m.Read(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				count, err = ic.instructions()
				if err != nil {
					t.Fatal(err)
				}
				return cpu, count
			}
			cpu0, n0 := read()
			time.Sleep(1500 * time.Millisecond)
			cpu1, n1 := read()
			cpu, counted := cpu1-cpu0, (n1-n0)/1e9
			if cpu < 0.5 {
				t.Fatalf("the busy app used only %.3f s of CPU in 1.5 s", cpu)
			}
			if math.Abs(counted-cpu)/cpu > 0.05 {
				t.Errorf("%s: the counter saw %.3f s of task clock, the meter %.3f s of CPU", mode, counted, cpu)
			}
			t.Logf("%s (%s meter): task clock %.3f s, CPU %.3f s", mode, m.Source(), counted, cpu)
		})
	}
}

// TestInstructionsSayWhy: on a machine without performance counters (or
// not permitted to use them) the started app has no counter and a reason,
// never a zero; with them, the counter counts.
func TestInstructionsSayWhy(t *testing.T) {
	tg := start(t, busySpec(t), "")
	time.Sleep(500 * time.Millisecond)
	n, err := tg.instructions()
	switch {
	case tg.instr == nil && (err == nil || !strings.Contains(err.Error(), "cannot be opened")):
		t.Errorf("no counter, and the reason is %v", err)
	case tg.instr != nil && (err != nil || n <= 0):
		t.Errorf("a counter that reads %v, %v", n, err)
	}
	t.Logf("instructions here: %v, %v (perf_event_paranoid %s)", n, err, paranoid())
	tg.Stop()
	if _, err := tg.instructions(); err == nil {
		t.Error("a stopped app's counter still reads")
	}
}

func paranoid() string {
	b, _ := os.ReadFile("/proc/sys/kernel/perf_event_paranoid")
	return strings.TrimSpace(string(b))
}

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"0-1\n", "[0 1]"},
		{"0", "[0]"},
		{"0-3,6,8-9", "[0 1 2 3 6 8 9]"},
		{"", "error"},
		{"3-1", "error"},
		{"0-99999", "error"},
		{"a-b", "error"},
	} {
		got, err := parseCPUList(tc.in)
		s := fmt.Sprint(got)
		if err != nil {
			s = "error"
		}
		if s != tc.want {
			t.Errorf("parseCPUList(%q) = %s, want %s", tc.in, s, tc.want)
		}
	}
	if cpus, err := onlineCPUs(); err != nil || len(cpus) == 0 {
		t.Errorf("this machine's online CPUs: %v, %v", cpus, err)
	}
}
