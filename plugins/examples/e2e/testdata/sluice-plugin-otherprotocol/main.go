// Command sluice-plugin-otherprotocol is a plugin binary that offers only a
// protocol version no sluice speaks, as a binary built against a future
// (or long past) sdk would: the engine must refuse it with advice.
package main

import (
	"github.com/hashicorp/go-plugin"

	"github.com/sluicedata/sluice/sdk/wire"
)

const otherVersion = wire.ProtocolVersion + 98

func main() {
	h := wire.Handshake
	h.ProtocolVersion = otherVersion
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  h,
		VersionedPlugins: map[int]plugin.PluginSet{otherVersion: {wire.PluginSetName: &wire.GRPCPlugin{}}},
		GRPCServer:       plugin.DefaultGRPCServer,
	})
}
