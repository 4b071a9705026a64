package wire

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// Handshake is what the engine and a plugin process check before talking.
// The magic cookie only stops a plugin binary run by hand from waiting for
// a connection that will never come; it is no security measure. The
// protocol version is negotiated from the VersionedPlugins both sides
// offer.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "SLUICE_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "b9d2c1f4-sluice-external-plugin",
}

// PluginSetName is the name under which the plugin process offers its
// service in go-plugin's plugin set.
const PluginSetName = "sluice"

// GRPCPlugin is the go-plugin glue: on the plugin side it serves Plugins,
// and on the engine side it returns a *Client.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Plugins are served on the plugin side.
	Plugins    []sdk.Plugin
	ServerOpts ServerOptions
	ClientOpts ClientOptions
}

// GRPCServer registers the plugin service.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterPluginServer(s, NewServer(p.Plugins, p.ServerOpts))
	return nil
}

// GRPCClient returns a *Client on the connection.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return NewClient(conn, p.ClientOpts), nil
}

// VersionedPlugins is the plugin set for each protocol version this
// package speaks; go-plugin picks the highest both sides know.
func VersionedPlugins(p *GRPCPlugin) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{ProtocolVersion: {PluginSetName: p}}
}

// GRPCServerOptions are the gRPC options of the plugin side: messages up to
// maxMessage bytes, wide flow-control windows, and insecure credentials that
// enlarge each connection's socket buffers (see socketBuffer). They replace
// any credentials given before them: the engine never asks for TLS.
func GRPCServerOptions(maxMessage int) []grpc.ServerOption {
	if maxMessage <= 0 {
		maxMessage = DefaultMaxMessageBytes
	}
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage),
		grpc.InitialWindowSize(flowWindow), grpc.InitialConnWindowSize(flowWindow),
		grpc.ReadBufferSize(ioBuffer), grpc.WriteBufferSize(ioBuffer),
		grpc.Creds(newBufferedCreds()),
	}
}

// GRPCDialOptions are the client's counterpart of GRPCServerOptions,
// including the credentials that enlarge the socket buffers; they replace
// go-plugin's insecure credentials.
func GRPCDialOptions(maxMessage int) []grpc.DialOption {
	if maxMessage <= 0 {
		maxMessage = DefaultMaxMessageBytes
	}
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage)),
		grpc.WithInitialWindowSize(flowWindow), grpc.WithInitialConnWindowSize(flowWindow),
		grpc.WithReadBufferSize(ioBuffer), grpc.WithWriteBufferSize(ioBuffer),
		grpc.WithTransportCredentials(newBufferedCreds()),
	}
}

// HTTP/2's default 64 KiB stream window makes a megabyte batch wait for
// a dozen window updates, one round trip each: the profile of the transform
// benchmark showed both processes mostly idle. Our own flow control bounds
// what is in flight (a read window, a transform's window of calls, the
// sink's writes), so HTTP/2's window can be large; and larger socket buffers mean
// fewer system calls per batch.
const (
	flowWindow = 32 << 20
	ioBuffer   = 256 << 10
)
