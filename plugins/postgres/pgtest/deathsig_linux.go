package pgtest

import "syscall"

// dieWithParent makes the server shut down at once if the test binary dies
// without stopping it, rather than outliving it.
func dieWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGQUIT }
