package oversight

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The public log never carries what cannot be taken back: the names,
// aliases, birth dates and nationalities of vendors' persons and their
// relatives, of designated people, of officers and signatories. An event
// about them carries instead, in the member PrivateMember of its payload,
// a salted commitment to those fields; the fields and the salt are kept in
// the database, apart from the log (docs/design/PUBLIC-LOG.md). Given
// them (a Disclosure), an auditor checks them against the log; without
// them, the commitment tells nothing, not even whether two events name the
// same person; and deleting them leaves the log whole.

// PrivateMember names the member of an event's payload that holds the
// commitment to the personal data withheld from it.
const PrivateMember = "private"

// privateDomain separates the commitments' hashes from every other hash.
const privateDomain = "oversight-private-v1\n"

// PrivateSaltSize is the size of a commitment's salt: random, one per
// event, so that no name can be found by hashing candidates.
const PrivateSaltSize = 32

// PrivateCommitment returns the commitment to fields, the exact bytes of a
// JSON object, under salt: the hex SHA-256 of "oversight-private-v1\n",
// the salt and the bytes.
func PrivateCommitment(salt, fields []byte) string {
	h := sha256.New()
	h.Write([]byte(privateDomain))
	h.Write(salt)
	h.Write(fields)
	return hex.EncodeToString(h.Sum(nil))
}

// Disclosure is what an event withheld from the public log, as the server
// keeps it: the salt and the fields (a JSON object keyed by the paths they
// had in the payload, such as "persons[0].name"), and the commitment the
// event carries instead. It is for authorised auditors only.
type Disclosure struct {
	Index      int64           `json:"index"`
	Commitment string          `json:"commitment"`
	Salt       string          `json:"salt"` // hex
	Fields     json.RawMessage `json:"fields"`
}

// ErrDisclosure reports a disclosure that does not match the log.
var ErrDisclosure = errors.New("the disclosure does not match the log")

// Verify checks d against ev, the log entry it discloses for: ev is the
// entry at d.Index, its payload carries d's commitment, and d's salt and
// fields hash to it.
func (d *Disclosure) Verify(ev *Event) error {
	if ev.Index != d.Index {
		return fmt.Errorf("%w: it is for entry %d, not %d", ErrDisclosure, d.Index, ev.Index)
	}
	var payload map[string]json.RawMessage
	if err := json.Unmarshal(ev.Payload, &payload); err != nil {
		return fmt.Errorf("%w: entry %d has no object payload", ErrDisclosure, ev.Index)
	}
	var logged string
	if err := json.Unmarshal(payload[PrivateMember], &logged); err != nil || logged == "" {
		return fmt.Errorf("%w: entry %d withholds nothing", ErrDisclosure, ev.Index)
	}
	salt, err := hex.DecodeString(d.Salt)
	if err != nil || len(salt) != PrivateSaltSize {
		return fmt.Errorf("%w: the salt is not %d bytes of hex", ErrDisclosure, PrivateSaltSize)
	}
	got := PrivateCommitment(salt, d.Fields)
	if subtle.ConstantTimeCompare([]byte(got), []byte(logged)) != 1 || d.Commitment != logged {
		return fmt.Errorf("%w: entry %d commits to %s; the salt and fields hash to %s", ErrDisclosure, ev.Index, logged, got)
	}
	return nil
}

// Redact splits the JSON form of v, which must be an object, in two: the
// object without the members at paths, which the public log shows, and
// those members, keyed by their concrete paths. A path names members by
// name, separated by dots; "[]" after a name stands for every element of
// the array it names: "persons[].relatives[].name". A path that names
// nothing in v is skipped; private is empty when every path is.
func Redact(v any, paths ...string) (public, private map[string]any, err error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, nil, fmt.Errorf("redact: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers stay as written
	if err := dec.Decode(&public); err != nil || public == nil {
		return nil, nil, fmt.Errorf("redact %T: not a JSON object", v)
	}
	private = map[string]any{}
	for _, p := range paths {
		redact(public, strings.Split(p, "."), "", private)
	}
	return public, private, nil
}

// redact moves the members at the path segs below obj into private.
func redact(obj map[string]any, segs []string, prefix string, private map[string]any) {
	name, each := strings.CutSuffix(segs[0], "[]")
	v, ok := obj[name]
	if !ok || v == nil {
		return
	}
	here := name
	if prefix != "" {
		here = prefix + "." + name
	}
	if len(segs) == 1 && !each {
		private[here] = v
		delete(obj, name)
		return
	}
	if !each {
		if o, ok := v.(map[string]any); ok {
			redact(o, segs[1:], here, private)
		}
		return
	}
	arr, ok := v.([]any)
	if !ok {
		return
	}
	for i, x := range arr {
		at := fmt.Sprintf("%s[%d]", here, i)
		if len(segs) == 1 {
			// "name[]" alone: every element.
			private[at] = x
			continue
		}
		if o, ok := x.(map[string]any); ok {
			redact(o, segs[1:], at, private)
		}
	}
	if len(segs) == 1 {
		delete(obj, name)
	}
}

// The personal data each kind of event withholds, as Redact paths: what
// identifies a person, in the payloads the service records. Roles,
// shares, relations, bases and ids stay public: they say what was done,
// not to or by whom.
var (
	// PersonalIdentity: an Identity's members, all of which identify.
	PersonalIdentity = []string{"name", "aliases", "birth_date", "nationality"}
	// PersonalVendor: a vendor's owners and executives (their identity
	// and title), their relatives.
	PersonalVendor = append(under("persons[]", PersonalIdentity), "persons[].title", "persons[].relatives")
	// PersonalDeclaration: who signed for the purchasing state.
	PersonalDeclaration = []string{"signatory.name"}
	// PersonalApproval: the officer who decided (an approval of a licence
	// or of an action); the log names them by user id.
	PersonalApproval = []string{"person"}
	// PersonalAction: the officers whose approvals an action carries.
	PersonalAction = []string{"approvals[].person"}
	// PersonalDesignation: the person designated.
	PersonalDesignation = PersonalIdentity
	// PersonalUser: a user's name.
	PersonalUser = []string{"name"}
)

// under returns paths below the member at prefix.
func under(prefix string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = prefix + "." + p
	}
	return out
}
