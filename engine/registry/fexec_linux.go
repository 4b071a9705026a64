package registry

import (
	"os"
	"os/exec"
	"strconv"
)

// command returns the command that starts the binary f, verified open at
// path, and the path the command execs it by ("" for path itself).
//
// Started by its path, the process would run whatever is at the path when
// it starts, which someone who can write the binary could swap in after it
// was verified. So on Linux it execs /proc/self/fd/<fd>, the verified file
// itself, the way glibc's fexecve does: the kernel resolves that path in
// the child, which holds the descriptor until execve succeeds, though it is
// close-on-exec, so the process does not inherit it. Go's fork/exec moves
// only the command's own files (stdin, stdout, stderr and ExtraFiles, onto
// 0, 1, 2, 3…), and go-plugin sets no ExtraFiles, so a descriptor ≥ 3
// survives until the exec. argv[0] is still path.
//
// Two cases pass the file as the process's descriptor 3 instead and exec
// /proc/self/fd/3: a descriptor below 3, which the child's stdio would
// overwrite, and a script ("#!"), whose interpreter is given the path to
// open and could not open a descriptor closed at exec. Either way, the
// process inherits that descriptor.
//
// Without a usable /proc (not mounted, or another file there), the process
// is started by path, as on other systems (fexec_other.go).
func command(f *os.File, path string) (*exec.Cmd, string) {
	fd := int(f.Fd())
	if !procShows(f, fd) {
		return exec.Command(path), ""
	}
	var head [2]byte
	n, _ := f.ReadAt(head[:], 0)
	inherit := fd < 3 || string(head[:n]) == "#!"
	if inherit {
		fd = 3
	}
	fdPath := "/proc/self/fd/" + strconv.Itoa(fd)
	cmd := exec.Command(fdPath)
	cmd.Args[0] = path
	if inherit {
		cmd.ExtraFiles = []*os.File{f}
	}
	return cmd, fdPath
}

// procShows says whether /proc/self/fd/<fd> is the open file f.
func procShows(f *os.File, fd int) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	pi, err := os.Stat("/proc/self/fd/" + strconv.Itoa(fd))
	return err == nil && os.SameFile(fi, pi)
}
