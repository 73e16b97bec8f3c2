package sdk

import (
	"encoding/binary"
	"math/bits"

	"portico/plugins/abi"
)

// Credential is the record the host returns for a credential that matched (see [LookupAPIKey]).
type Credential struct {
	App          string // application ID
	Env          string // environment of the credential: production or sandbox
	API          string // API name the credential is bound to
	Major        string // API major version the credential is bound to, decimal
	Subscribed   bool   // the application is subscribed to the current API's major version
	SubStatus    string // active or blocked, when subscribed
	Subscription string // subscription ID, when subscribed
	Plan         string // usage plan of the subscription
}

// decodeCredential parses a credential record in the format of abi.EncodeRecord ("key=value\x00..."). It gives the
// same result as reading abi.DecodeRecord's map: entries without '=' and unknown keys are ignored, the last of
// repeated keys wins, and a final entry without its NUL still counts.
//
// It runs on every authenticated request inside the guest, where each loop iteration is costly (the host checks the
// call's deadline at every loop header, about 30-50 ns each): it scans the record eight bytes at a time, about a
// quarter of the iterations of splitting with strings.Cut, and makes one string for the whole record, whose
// substrings become the fields.
func decodeCredential(b []byte) Credential {
	var c Credential
	s := strs.string(b)
	start, eq := 0, -1 // start of the current entry, position of its first '=' (-1 before it)
	for i := 0; i < len(b); i += 8 {
		w := load8(b, i)
		for m := zeroBytes(w) | zeroBytes(w^('='*lsb)); m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)/8
			switch {
			case b[j] == '=':
				if eq < 0 {
					eq = j
				}
			default: // NUL: end of the entry
				if eq >= 0 {
					c.set(s[start:eq], s[eq+1:j])
				}
				start, eq = j+1, -1
			}
		}
	}
	if eq >= 0 {
		c.set(s[start:eq], s[eq+1:])
	}
	return c
}

const (
	lsb  = 0x0101010101010101 // the low bit of each byte
	low7 = 0x7f7f7f7f7f7f7f7f // the low seven bits of each byte
)

// zeroBytes returns w with the high bit set in each byte that is zero and every other bit clear. Unlike the shorter
// (w-lsb)&^w formula it has no false positives, since no borrow crosses bytes.
func zeroBytes(w uint64) uint64 {
	return ^((w&low7 + low7) | w | low7)
}

// load8 returns the eight bytes of b from i as a little-endian word; bytes past the end read as 0xff, which is
// neither NUL nor '='.
func load8(b []byte, i int) uint64 {
	if len(b)-i >= 8 {
		return binary.LittleEndian.Uint64(b[i:])
	}
	tail := [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	copy(tail[:], b[i:])
	return binary.LittleEndian.Uint64(tail[:])
}

func (c *Credential) set(k, v string) {
	switch k {
	case abi.RecApp:
		c.App = v
	case abi.RecEnv:
		c.Env = v
	case abi.RecAPI:
		c.API = v
	case abi.RecMajor:
		c.Major = v
	case abi.RecSubscribed:
		c.Subscribed = v == "true"
	case abi.RecSubStatus:
		c.SubStatus = v
	case abi.RecSubscription:
		c.Subscription = v
	case abi.RecPlan:
		c.Plan = v
	}
}
