// Package pb is the generated code of the Sluice plugin protocol
// (plugin.proto). It is committed, so building Sluice needs no protoc.
//
// To regenerate after editing plugin.proto, install protoc (Debian:
// apt-get install protobuf-compiler) and the Go generators
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.0
//
// then run `go generate ./sdk/wire/...` and commit the result.
package pb

//go:generate protoc -I. --go_out=. --go-grpc_out=. --go_opt=paths=source_relative --go-grpc_opt=paths=source_relative plugin.proto
