package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Validators. On a network run by CometBFT each organisation may run one
// validator: its ed25519 consensus key and voting power are part of its
// record, so the validator set is the registry's, changed only by the
// organisations' joint decision (KindSetValidator, KindRemoveOrg), and
// every change is an event the ledger turns into CometBFT's validator
// updates (docs/consensus.md). A solo network has none.
const (
	// ValidatorKeySize is the size of an ed25519 public key.
	ValidatorKeySize = 32
	// MaxValidatorPower bounds one validator's power, far below CometBFT's
	// bound on the total (MaxInt64/8), so no set of organisations can
	// overflow it.
	MaxValidatorPower = 1 << 40
	// EventValidatorChanged reports a validator's new power (0: removed).
	EventValidatorChanged = "ValidatorChanged"
)

// Validator is an organisation's consensus validator.
type Validator struct {
	// PubKey is its 32-byte ed25519 public key (base64 in JSON, as
	// CometBFT writes keys).
	PubKey []byte `json:"pubKey"`
	// Power is its voting power (> 0).
	Power int64 `json:"power"`
}

// ValidatorChange is the data of a ValidatorChanged event: the key of a
// validator and its power from now on, zero when it leaves the set.
type ValidatorChange struct {
	Org    string `json:"org"`
	PubKey []byte `json:"pubKey"`
	Power  int64  `json:"power"`
}

// SetValidatorParams: an organisation's validator (KindSetValidator).
// Power 0 removes it; a new key replaces the old one.
type SetValidatorParams struct {
	Org    string `json:"org"`
	PubKey []byte `json:"pubKey"`
	Power  int64  `json:"power"`
}

func validateValidatorKey(what string, key []byte) error {
	if len(key) != ValidatorKeySize {
		return invalid("%s: an ed25519 public key has %d bytes, not %d", what, ValidatorKeySize, len(key))
	}
	return nil
}

func validatePower(what string, power int64, zeroOK bool) error {
	if power < 0 || power > MaxValidatorPower || power == 0 && !zeroOK {
		lo := int64(1)
		if zeroOK {
			lo = 0
		}
		return invalid("%s: power %d out of range [%d, %d]", what, power, lo, int64(MaxValidatorPower))
	}
	return nil
}

// Validate checks a genesis validator.
func (v *Validator) Validate() error {
	if err := validateValidatorKey("validator pubKey", v.PubKey); err != nil {
		return err
	}
	return validatePower("validator", v.Power, false)
}

func canonicalSetValidator(raw json.RawMessage) ([]byte, error) {
	var p SetValidatorParams
	if err := decodeStrict(KindSetValidator+" params", raw, &p, "org", "pubKey", "power"); err != nil {
		return nil, err
	}
	if err := ValidateOrgID(p.Org); err != nil {
		return nil, err
	}
	if err := validateValidatorKey("pubKey", p.PubKey); err != nil {
		return nil, err
	}
	if err := validatePower(KindSetValidator, p.Power, true); err != nil {
		return nil, err
	}
	return mustJSON(p), nil
}

// setValidator gives an organisation a validator, changes its power or
// key, or (power 0) removes it. A key another organisation uses, removing
// a validator the organisation does not have, and removing the last
// validator of the network are conflicts.
func (c *call) setValidator(p *SetValidatorParams, dryRun bool) error {
	o, err := c.org(p.Org)
	if err != nil {
		return err
	}
	all, err := c.validators()
	if err != nil {
		return err
	}
	for _, other := range all {
		if other.org != o.ID && bytes.Equal(other.v.PubKey, p.PubKey) {
			return fmt.Errorf("%w: validator key is organisation %s's", ErrConflict, other.org)
		}
	}
	if p.Power == 0 {
		switch {
		case o.Validator == nil:
			return fmt.Errorf("%w: organisation %s has no validator", ErrNotFound, o.ID)
		case !bytes.Equal(o.Validator.PubKey, p.PubKey):
			return fmt.Errorf("%w: organisation %s's validator has another key", ErrNotFound, o.ID)
		case len(all) == 1:
			return fmt.Errorf("%w: organisation %s runs the network's last validator", ErrConflict, o.ID)
		}
	}
	if dryRun {
		return nil
	}
	if old := o.Validator; old != nil && !bytes.Equal(old.PubKey, p.PubKey) {
		c.emit(EventValidatorChanged, ValidatorChange{Org: o.ID, PubKey: old.PubKey, Power: 0})
	}
	o.Validator = nil
	if p.Power > 0 {
		o.Validator = &Validator{PubKey: slices.Clone(p.PubKey), Power: p.Power}
	}
	putJSON(c.st, OrgKey(o.ID), o)
	c.emit(EventValidatorChanged, ValidatorChange{Org: o.ID, PubKey: p.PubKey, Power: p.Power})
	return nil
}

type orgValidator struct {
	org string
	v   *Validator
}

// validators lists the organisations' validators, by organisation id.
func (c *call) validators() ([]orgValidator, error) {
	var out []orgValidator
	var decodeErr error
	prefix := []byte(KeyOrgPrefix)
	err := c.st.Iterate(prefix, prefix, func(_, v []byte) bool {
		var o Org
		if err := json.Unmarshal(v, &o); err != nil {
			decodeErr = fmt.Errorf("registry: decode organisation: %w", err)
			return false
		}
		if o.Validator != nil {
			out = append(out, orgValidator{org: o.ID, v: o.Validator})
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("registry: list organisations: %w", err)
	}
	return out, decodeErr
}
