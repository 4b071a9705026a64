package wire

import (
	"context"
	"net"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// socketBuffer is the send and receive buffer asked of the kernel for each
// connection between the engine and a plugin process: room for a whole
// batch, so that a write of one never blocks.
//
// A write that does not fit parks gRPC's writer until the socket drains,
// and a busy Go process notices that late: its threads poll the network
// only between goroutines, or from the runtime's monitor every few
// milliseconds. Timed per call in W1, the engine's 230 KB calls to the map
// took 3.3 ms (median) to reach the plugin with the kernel's default 208 KB
// buffer and 0.9-1.4 ms with this one, while the plugin's idle process
// sent its answers back in 0.5 ms either way (docs/benchmarks.md, "External plugins").
// Linux caps the request at net.core.wmem_max and rmem_max, 208 KB on many
// systems, where this changes nothing.
const socketBuffer = 4 << 20

// bufferedCreds are insecure transport credentials that size the socket
// buffers of each connection as it is made. Plugins talk to the engine over
// a Unix socket in a directory only the user can open, without TLS; these
// replace go-plugin's insecure credentials, never TLS ones, since the
// engine does not ask for mutual TLS.
type bufferedCreds struct {
	credentials.TransportCredentials
}

func newBufferedCreds() credentials.TransportCredentials {
	return bufferedCreds{insecure.NewCredentials()}
}

func (c bufferedCreds) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	sizeBuffers(conn)
	return c.TransportCredentials.ClientHandshake(ctx, authority, conn)
}

func (c bufferedCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	sizeBuffers(conn)
	return c.TransportCredentials.ServerHandshake(conn)
}

func (c bufferedCreds) Clone() credentials.TransportCredentials {
	return bufferedCreds{c.TransportCredentials.Clone()}
}

// sizeBuffers asks for socketBuffer on a Unix or TCP connection; others
// (the in-memory pipe of the tests) have no kernel buffers.
func sizeBuffers(conn net.Conn) {
	type buffered interface {
		SetReadBuffer(int) error
		SetWriteBuffer(int) error
	}
	if b, ok := conn.(buffered); ok {
		// Best effort: a refusal leaves the kernel's default.
		_ = b.SetWriteBuffer(socketBuffer)
		_ = b.SetReadBuffer(socketBuffer)
	}
}
