// Package monitor holds the rules that watch the stream of decisions for
// misuse: a request against a person on the protected-persons register,
// repeated denials from one deployment (probing the policy),
// requests citing opinion, criticism of the state or a protected ground,
// requests against blocked country codes, a spike in a licence's
// operations against its own baseline, and use while a restriction is in
// force or soon after a suspension was lifted. Each rule has a code that
// the misuse case it opens cites.
//
// The package is pure and is the one place the rules live. A Marker runs
// as each decision is made: it marks the decision for the other rules (a
// column of its operation) and is the protected-persons rule, whose case
// the decision's answer names. A Monitor is fed the decisions' columns in
// log order and answers the hits of the other rules; service runs it over
// the store's event sequence, behind a cursor row that makes each decision
// count once whichever replica reads it. Thresholds and windows are data
// (Rules), with defaults shipped in rules.json.
package monitor

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
)

// Rule codes, cited in a case's rule field.
const (
	RuleProtected      = "SCOPE-PROTECTED" // the policy's reason code, policy.CodeProtected
	RuleDenials        = "MONITOR-DENIALS"
	RuleGrounds        = "MONITOR-GROUNDS"
	RuleBlockedCountry = "MONITOR-BLOCKED-COUNTRY"
	RuleSpike          = "MONITOR-SPIKE"
	RuleRestricted     = "MONITOR-RESTRICTED-USE"
)

// Duration is a time.Duration written as Go writes it ("10m", "72h").
type Duration time.Duration

// UnmarshalJSON reads "10m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration such as \"10m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("a positive duration such as \"10m\", not %q", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes "10m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Rules are the rules' switches, thresholds and windows.
type Rules struct {
	// Protected: a request against a person on the protected-persons
	// register (the policy denies it whatever this says).
	Protected struct {
		Enabled bool `json:"enabled"`
	} `json:"protected"`
	// Denials: Threshold denials of one deployment within Window.
	Denials struct {
		Enabled   bool     `json:"enabled"`
		Threshold int      `json:"threshold"`
		Window    Duration `json:"window"`
	} `json:"denials"`
	// Grounds: a request whose legal basis's conduct or whose grounds cite
	// one of Words, permitted or not.
	Grounds struct {
		Enabled bool     `json:"enabled"`
		Words   []string `json:"words"`
	} `json:"grounds"`
	// BlockedCountry: a request against a country code the licence blocks
	// (denied SCOPE-COUNTRY).
	BlockedCountry struct {
		Enabled bool `json:"enabled"`
	} `json:"blocked_country"`
	// Spike: more than Factor times the licence's rate over the Baseline
	// before it within Window, and at least MinCount.
	Spike struct {
		Enabled  bool     `json:"enabled"`
		Window   Duration `json:"window"`
		Baseline Duration `json:"baseline"`
		Factor   float64  `json:"factor"`
		MinCount int      `json:"min_count"`
	} `json:"spike"`
	// Restricted: any request while a restriction is in force, or within
	// AfterReinstatement of a reinstatement after a suspension.
	Restricted struct {
		Enabled            bool     `json:"enabled"`
		AfterReinstatement Duration `json:"after_reinstatement"`
	} `json:"restricted"`
}

//go:embed rules.json
var defaultRules []byte

// Defaults returns the rules shipped with Oversight (rules.json).
func Defaults() Rules {
	r, err := Parse(nil)
	if err != nil {
		panic("monitor: rules.json: " + err.Error())
	}
	return r
}

// Parse reads a rules file over the defaults: what the file leaves out
// keeps its default. It is strict (unknown fields, wrong types) and names
// the field at fault.
func Parse(data []byte) (Rules, error) {
	var r Rules
	if err := oversight.DecodeJSON(defaultRules, &r); err != nil {
		return r, err
	}
	if len(data) > 0 {
		if err := oversight.DecodeJSON(data, &r); err != nil {
			return r, err
		}
	}
	var p oversight.Problems
	if r.Denials.Threshold < 1 {
		p.Add("denials.threshold", "must be at least 1")
	}
	if r.Spike.Factor < 1 {
		p.Add("spike.factor", "must be at least 1")
	}
	if r.Spike.MinCount < 1 {
		p.Add("spike.min_count", "must be at least 1")
	}
	for i, w := range r.Grounds.Words {
		if !oversight.IsSnakeWord(w) {
			p.Add(fmt.Sprintf("grounds.words[%d]", i), "must be a lower-case snake_case word such as criticism_of_state")
		}
	}
	return r, p.Err("invalid monitoring rules")
}

// History is how far back a Monitor needs decisions to fill its windows.
func (r Rules) History() time.Duration {
	return max(time.Duration(r.Denials.Window), time.Duration(r.Spike.Window+r.Spike.Baseline))
}
