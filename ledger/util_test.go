package ledger

import (
	"errors"
	"slices"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func sortStrings(s []string) { slices.Sort(s) }
