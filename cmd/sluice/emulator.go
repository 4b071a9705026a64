package main

import (
	"errors"
	"flag"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
)

// emulatorCmd runs a local emulator of a destination's API. Dynamics 365
// (Dataverse) is the one there is.
func (c *cli) emulatorCmd(args []string) error {
	if len(args) == 0 || args[0] != "dynamics" {
		return usageError("usage: sluice emulator dynamics [flags]; see sluice emulator dynamics -h")
	}
	err := emulator.Command(c.ctx, args[1:], c.stdout, c.stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if errors.Is(err, emulator.ErrReported) {
		return &exitError{code: exitUsage} // the flag package has said what is wrong
	}
	if errors.Is(err, emulator.ErrUsage) {
		// a mistake on the command line exits 2, like every other command's
		return &exitError{code: exitUsage, err: err}
	}
	return err
}
