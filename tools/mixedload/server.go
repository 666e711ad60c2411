package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The server under test: the binary built from ./server, run as a process
// of its own so that its CPU and memory are its own (/proc), not the load
// generator's or the simulators'.

type serverProc struct {
	cmd  *exec.Cmd
	url  string
	logs *os.File
	done chan struct{}
}

// buildServer builds ./server into dir (from the module root: the working
// directory of `make bench-mixed`).
func buildServer(dir string) (string, error) {
	bin := filepath.Join(dir, "leasegraph")
	cmd := exec.Command("go", "build", "-o", bin, "./server")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./server: %v\n%s", err, out)
	}
	return bin, nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// startServer runs bin with env on port and waits for /readyz.
func startServer(ctx context.Context, bin, port, logPath string, env []string) (*serverProc, error) {
	logs, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p := &serverProc{url: "http://127.0.0.1:" + port, logs: logs, done: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(os.Environ(), append([]string{"PORT=" + port}, env...)...)
	p.cmd.Stdout, p.cmd.Stderr = logs, logs
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(3 * time.Minute) // a migration of a large copy may take a while
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("the server exited at start-up; its log: %s", logPath)
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		default:
		}
		res, err := http.Get(p.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("the server did not become ready; its log: %s", logPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop asks the server to stop (SIGTERM), then kills it after 30 s.
func (p *serverProc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.logs.Close()
}

// cpuSeconds is the process's user+system CPU so far (/proc/PID/stat).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command's closing parenthesis: state is field 3;
	// utime and stime are fields 14 and 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / clockTicks
}

// clockTicks is USER_HZ, 100 on Linux's every architecture that matters here.
const clockTicks = 100

// rssMB is a /proc/PID/status field (VmRSS, VmHWM) in MB.
func rssMB(pid int, field string) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte(field+":")) {
			kb, _ := strconv.ParseFloat(strings.Fields(string(line[len(field)+1:]))[0], 64)
			return kb / 1024
		}
	}
	return 0
}

// meter samples the server's resident memory while a phase runs.
type meter struct {
	pid       int
	cpu0      float64
	t0        time.Time
	mu        sync.Mutex
	peak      float64
	stopOnce  sync.Once
	stopC     chan struct{}
	cores     float64
	wall      time.Duration
	finalPeak float64
}

func startMeter(pid int) *meter {
	m := &meter{pid: pid, cpu0: cpuSeconds(pid), t0: time.Now(), stopC: make(chan struct{})}
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stopC:
				return
			case <-t.C:
				v := rssMB(pid, "VmRSS")
				m.mu.Lock()
				m.peak = max(m.peak, v)
				m.mu.Unlock()
			}
		}
	}()
	return m
}

// stop ends the measurement: CPU-seconds per wall-second and the peak RSS
// sampled (never below VmRSS now).
func (m *meter) stop() {
	m.stopOnce.Do(func() {
		close(m.stopC)
		m.wall = time.Since(m.t0)
		m.cores = (cpuSeconds(m.pid) - m.cpu0) / m.wall.Seconds()
		m.mu.Lock()
		m.finalPeak = max(m.peak, rssMB(m.pid, "VmRSS"))
		m.mu.Unlock()
	})
}

// pprofSource is added to the server's main package by -cpu-profile's
// build (go build -overlay: the repository is not touched): net/http/pprof
// on a side port. The server's routes use their own mux, so pprof is
// reachable only there.
const pprofSource = `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("MIXEDLOAD_PPROF_ADDR"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
`

// buildProfiled builds ./server with pprofSource added.
func buildProfiled(dir string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, "zz_mixedload_pprof.go")
	if err := os.WriteFile(src, []byte(pprofSource), 0o644); err != nil {
		return "", err
	}
	overlay := filepath.Join(dir, "pprof-overlay.json")
	o := fmt.Sprintf(`{"Replace": {%q: %q}}`, filepath.Join(wd, "server", "zz_mixedload_pprof.go"), src)
	if err := os.WriteFile(overlay, []byte(o), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "leasegraph-pprof")
	if out, err := exec.Command("go", "build", "-overlay", overlay, "-o", bin, "./server").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -overlay ./server: %v\n%s", err, out)
	}
	return bin, nil
}

// cpuProfile takes the server's CPU profile for d into path, then writes
// go tool pprof's top (flat and cumulative) beside it, path + ".txt".
func cpuProfile(ctx context.Context, addr, bin, path string, d time.Duration) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds())), nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{Timeout: d + time.Minute}).Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	var out bytes.Buffer
	for _, args := range [][]string{{"-top", "-nodecount=35"}, {"-top", "-cum", "-nodecount=60"}} {
		cmd := exec.Command("go", append(append([]string{"tool", "pprof"}, args...), bin, path)...)
		cmd.Stdout, cmd.Stderr = &out, &out
		_ = cmd.Run()
		out.WriteString("\n")
	}
	return os.WriteFile(path+".txt", out.Bytes(), 0o644)
}
