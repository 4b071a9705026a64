// Package serve turns a program into a Sluice plugin binary. A plugin
// author's main is one call:
//
//	func main() { serve.Serve(httpjson.Source, httpjson.Sink) }
//
// The plugin values are the same sdk.Plugin values that work compiled into
// the sluice command: one interface, two transports. Serve speaks
// hashicorp/go-plugin's gRPC protocol with Sluice's handshake (package
// sdk/wire), so the engine starts the binary, checks the handshake and the
// protocol version, and talks to the plugins as if they were builtins.
//
// Plugins log through Host.Logger as usual. In the plugin process that
// logger writes JSON lines to stderr in the form go-plugin forwards to the
// engine's log, at the same level, with the plugin's attributes.
//
// Run by hand, the binary explains that it is a plugin; run with the single
// argument `describe`, it prints what it offers as JSON and exits, without
// a handshake, for tools and for people.
package serve
