package registry

import (
	"errors"
	"os"
	"syscall"
)

// identify returns the identity of the file fi describes.
func identify(fi os.FileInfo) fileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || !fi.Mode().IsRegular() {
		return fileID{}
	}
	return fileID{
		Dev: uint64(st.Dev), Ino: uint64(st.Ino), Size: st.Size,
		Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano(),
	}
}

// trustedFile says whether a checksum cache file can be believed: a
// regular file of the effective user that no one else may write.
func trustedFile(fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !ok || !fi.Mode().IsRegular():
		return errors.New("not a regular file")
	case int(st.Uid) != os.Geteuid():
		return errors.New("owned by another user")
	case fi.Mode().Perm()&0o022 != 0:
		return errors.New("writable by others")
	}
	return nil
}
