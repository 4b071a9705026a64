package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// installHelp is what to do when there is no server to test against.
const installHelp = `PostgreSQL's server binaries (initdb, postgres) are needed to test against a real server.
Install them with
    make testdeps            (runs apt-get as root)
or  sudo apt-get install -y postgresql
or point the tests at a server you run: ` + EnvURL + `=postgres://user:password@host:5432/db`

// findBinaries returns the directory holding initdb and postgres.
func findBinaries() (string, error) {
	if dir := os.Getenv(EnvBin); dir != "" {
		if !isExecutable(filepath.Join(dir, "initdb")) || !isExecutable(filepath.Join(dir, "postgres")) {
			return "", fmt.Errorf("pgtest: %s=%s holds no initdb and postgres", EnvBin, dir)
		}
		return dir, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	// Debian keeps the server binaries out of $PATH, one directory per
	// major version.
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(matches, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, m := range matches {
		dir := filepath.Dir(m)
		if isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("pgtest: no PostgreSQL server found.\n%s", installHelp)
}

// versionOf is the major version in a path like /usr/lib/postgresql/15/bin.
func versionOf(path string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return v
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// account is the user the server runs as: nil fields for the current user.
type account struct {
	uid, gid *uint32
}

// serverUser returns the account to run the server as. PostgreSQL refuses
// to run as root, so root runs it as the postgres system user.
func serverUser() (*account, error) {
	if os.Geteuid() != 0 {
		return &account{}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, and PostgreSQL refuses to run as root; there is no postgres user to run it as (%v).\n%s", err, installHelp)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgtest: user postgres has uid %q and gid %q", u.Uid, u.Gid)
	}
	uid32, gid32 := uint32(uid), uint32(gid)
	return &account{uid: &uid32, gid: &gid32}, nil
}

// procAttr starts a process as the account.
func (a *account) procAttr() *syscall.SysProcAttr {
	if a.uid == nil {
		return &syscall.SysProcAttr{}
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: *a.uid, Gid: *a.gid, NoSetGroups: true}}
}

// own hands the directory tree to the account.
func (a *account) own(dir string) error {
	if a.uid == nil {
		return nil
	}
	err := filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(*a.uid), int(*a.gid))
	})
	if err != nil {
		return fmt.Errorf("pgtest: handing %s to user postgres: %w", dir, err)
	}
	return nil
}
