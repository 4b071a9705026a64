//go:build linux

package wire

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The credentials ask for large socket buffers on both ends of a Unix
// socket, as large as the kernel allows.
func TestConnectionsGetLargeSocketBuffers(t *testing.T) {
	limit := func(name string) int {
		b, err := os.ReadFile("/proc/sys/net/core/" + name)
		if err != nil {
			t.Fatalf("no %s to compare with: %v", name, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	wmax, rmax := limit("wmem_max"), limit("rmem_max")
	lis, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := lis.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		conn, _, _ := newBufferedCreds().ServerHandshake(c)
		accepted <- conn
	}()
	raw, err := net.Dial("unix", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client, _, err := newBufferedCreds().ClientHandshake(context.Background(), "plugin", raw)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server := <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	defer server.Close()
	for side, conn := range map[string]net.Conn{"engine": client, "plugin": server} {
		rc, err := conn.(*net.UnixConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var snd, rcv int
		_ = rc.Control(func(fd uintptr) {
			snd, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
			rcv, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		})
		// Linux doubles what it grants, for its bookkeeping.
		if want := 2 * min(socketBuffer, wmax); snd < want {
			t.Errorf("%s: send buffer %d, want %d", side, snd, want)
		}
		if want := 2 * min(socketBuffer, rmax); rcv < want {
			t.Errorf("%s: receive buffer %d, want %d", side, rcv, want)
		}
	}
}
