package wire

import (
	"context"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// Pipe serves plugins over an in-memory gRPC connection and returns the
// client for it: the real server and client of the wire protocol, without a
// process. sdk/plugintest runs every case through it; close stops both
// ends.
func Pipe(plugins []sdk.Plugin, srv ServerOptions, cli ClientOptions) (client *Client, stop func(), err error) {
	srv.defaults()
	lis := bufconn.Listen(1 << 20)
	// WaitForHandlers: stopping returns only once every call has returned,
	// so that leak checks after it see everything released.
	s := grpc.NewServer(append(GRPCServerOptions(srv.MaxMessageBytes), grpc.WaitForHandlers(true))...)
	pb.RegisterPluginServer(s, NewServer(plugins, srv))
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.Serve(lis)
	}()
	dial := func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	opts := append(GRPCDialOptions(srv.MaxMessageBytes), grpc.WithContextDialer(dial), grpc.WithTransportCredentials(insecure.NewCredentials()))
	conn, err := grpc.NewClient("passthrough:///pipe", opts...)
	if err != nil {
		s.Stop()
		<-served
		return nil, nil, err
	}
	if cli.MaxMessageBytes <= 0 {
		cli.MaxMessageBytes = srv.MaxMessageBytes
	}
	return NewClient(conn, cli), func() {
		_ = conn.Close()
		s.Stop()
		<-served
	}, nil
}
