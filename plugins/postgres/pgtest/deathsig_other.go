//go:build !linux

package pgtest

import "syscall"

// dieWithParent does nothing where the kernel has no parent-death signal: a
// test binary that dies without stopping its server leaves it running, to
// be stopped by hand (its data directory is a temporary sluice-pgtest-* one).
func dieWithParent(*syscall.SysProcAttr) {}
