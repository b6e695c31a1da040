package conformance

import (
	"fmt"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/policy"
)

// Each use check fails only on its own cause. What another check's
// failure keeps it from seeing (no deny reaches a product that never
// asks) makes it inconclusive, naming that check, so that a report points
// at the fault instead of repeating it.

// judgeUse decides ask_before_use and deny_honoured over every operation
// of the run, and the blocked-country and protected-person checks over
// theirs.
func (k *kit) judgeUse() {
	k.judgeAsk()
	k.judgeDeny()
	for _, j := range []struct {
		check, label, code, what string
	}{
		{oversight.CheckBlockedCountry, "blocked country code", policy.CodeCountry, "a blocked country code (" + k.targets.blocked.country + ")"},
		{oversight.CheckProtectedPerson, "protected person", policy.CodeProtected, "a person on the protected-persons register"},
	} {
		k.judgeRefused(k.check(j.check), k.find(j.label), j.code, j.what)
	}
}

// find returns the operation with label.
func (k *kit) find(label string) *opRun {
	for _, o := range k.ops {
		if o.label == label {
			return o
		}
	}
	return nil
}

// judgeAsk: every operation the product went ahead with was preceded by
// an authorisation for that operation and that target, which the
// regulator permitted or refused; and the product went ahead at least once
// when permitted, or there is nothing to judge.
func (k *kit) judgeAsk() {
	c := k.check(oversight.CheckAskBeforeUse)
	var bad []string
	wentAhead := 0
	for _, o := range k.ops {
		k.opStep(c, o)
		if o.exit != DriverWentAhead {
			continue
		}
		switch a := o.asked(); {
		case a == nil && len(o.auths) > 0:
			bad = append(bad, fmt.Sprintf("%s on %s (%s) went ahead after asking only about other operations or targets", o.op, o.t.identifier, o.label))
		case a == nil:
			bad = append(bad, fmt.Sprintf("%s on %s (%s) went ahead without asking", o.op, o.t.identifier, o.label))
		case a.permitted():
			wentAhead++
		}
	}
	switch {
	case len(bad) > 0:
		k.decide(c, oversight.CheckFail, "%s", strings.Join(bad, "; "))
	case wentAhead == 0:
		k.decide(c, oversight.CheckInconclusive, "the product never went ahead, even when the regulator permitted it: nothing shows that it asks before use")
	default:
		k.decide(c, oversight.CheckPass, "each of the %d operations the product went ahead with was preceded by a permit for that operation and target", wentAhead)
	}
}

// judgeDeny: every answer other than a permit (a deny, an error, no answer
// at all) stopped the operation.
func (k *kit) judgeDeny() {
	c := k.check(oversight.CheckDenyHonoured)
	var bad []string
	refused := 0
	for _, o := range k.ops {
		a := o.asked()
		if a == nil || a.permitted() {
			continue
		}
		k.opStep(c, o)
		switch o.exit {
		case DriverWentAhead:
			bad = append(bad, fmt.Sprintf("%s on %s (%s) went ahead although the answer was %s", o.op, o.t.identifier, o.label, a.describe()))
		case DriverRefused:
			refused++
		default:
			bad = append(bad, fmt.Sprintf("%s on %s (%s): %s", o.op, o.t.identifier, o.label, o.did()))
		}
	}
	switch {
	case len(bad) > 0:
		k.decide(c, oversight.CheckFail, "%s", strings.Join(bad, "; "))
	case refused == 0:
		k.decide(c, oversight.CheckInconclusive, "no deny reached the product: it did not ask (see %s)", oversight.CheckAskBeforeUse)
	default:
		k.decide(c, oversight.CheckPass, "the product refused each of the %d operations the regulator denied or did not answer", refused)
	}
}

// judgeRefused: an operation against what the licence forbids (code
// names the rule) was refused.
func (k *kit) judgeRefused(c *oversight.CheckOutcome, o *opRun, code, what string) {
	if o == nil {
		k.decide(c, oversight.CheckFail, "the kit did not reach this check")
		return
	}
	k.opStep(c, o)
	a := o.asked()
	switch {
	case o.exit == DriverRefused && (a == nil || !a.permitted()):
		answer := "without asking"
		if a != nil {
			answer = "the regulator's answer was " + a.describe()
		}
		k.decide(c, oversight.CheckPass, "an operation against %s was refused; %s", what, answer)
	case o.exit != DriverWentAhead && o.exit != DriverRefused:
		k.decide(c, oversight.CheckFail, "an operation against %s: the product %s", what, o.did())
	case a != nil && a.permitted():
		k.decide(c, oversight.CheckFail, "the regulator permitted an operation against %s (the request gave country code %q): the product's request does not describe the target as it is, and the product %s",
			what, a.country, o.did())
	case a == nil:
		k.decide(c, oversight.CheckInconclusive, "the product went ahead against %s without asking (see %s)", what, oversight.CheckAskBeforeUse)
	default:
		if !a.cites(code) {
			k.note(c, "the deny does not cite %s", code)
		}
		k.decide(c, oversight.CheckInconclusive, "the regulator denied an operation against %s (%s), but the product went ahead (see %s)",
			what, a.describe(), oversight.CheckDenyHonoured)
	}
}

// judgeRestriction: the target permitted before the restriction is denied
// by it at the very next decision, and the product refuses.
func (k *kit) judgeRestriction(before, after *opRun, actionID string, at time.Time) {
	c := k.check(oversight.CheckRestriction)
	rule := "RESTRICT-" + actionID
	k.opStep(c, before)
	k.step(c, oversight.CheckStep{What: "restriction ordered: country code " + after.t.country + " blocked from now on", ActionID: actionID})
	k.opStep(c, after)
	b, a := before.asked(), after.asked()
	switch {
	case before.exit != DriverWentAhead && before.exit != DriverRefused:
		k.decide(c, oversight.CheckFail, "before the restriction: the product %s", before.did())
	case b == nil:
		k.decide(c, oversight.CheckInconclusive, "before the restriction the product did not ask (see %s)", oversight.CheckAskBeforeUse)
	case !b.permitted():
		k.decide(c, oversight.CheckInconclusive, "the target was not permitted even before the restriction (%s): nothing shows what the restriction changed", b.describe())
	case after.exit != DriverWentAhead && after.exit != DriverRefused:
		k.decide(c, oversight.CheckFail, "after the restriction: the product %s", after.did())
	case a == nil && after.exit == DriverRefused:
		k.decide(c, oversight.CheckInconclusive, "after the restriction the product refused without asking: nothing shows the decision changed")
	case a == nil:
		k.decide(c, oversight.CheckInconclusive, "after the restriction the product went ahead without asking (see %s)", oversight.CheckAskBeforeUse)
	case a.permitted():
		k.decide(c, oversight.CheckFail, "the very next decision after restriction %s still permitted the operation", actionID)
	case !a.cites(rule):
		k.decide(c, oversight.CheckFail, "the very next decision after the restriction was %s, not by the restriction (%s)", a.describe(), rule)
	case !sameAuth(first(k.proxy.since(at)), a):
		k.decide(c, oversight.CheckFail, "the product asked about something else before the operation the kit asked for after the restriction")
	case after.exit == DriverWentAhead:
		k.decide(c, oversight.CheckInconclusive, "the restriction decided the very next operation (%s), but the product went ahead (see %s)", a.describe(), oversight.CheckDenyHonoured)
	default:
		k.decide(c, oversight.CheckPass, "permitted before restriction %s, the target was denied by it (%s) at the very next decision, and the product refused",
			actionID, rule)
	}
}

// first returns the first authorisation of seen, or nil.
func first(seen []authSeen) *authSeen {
	if len(seen) == 0 {
		return nil
	}
	return &seen[0]
}

// sameAuth reports whether x and y record the same request.
func sameAuth(x, y *authSeen) bool {
	return x != nil && y != nil && x.at.Equal(y.at) && x.operation == y.operation && x.idHash == y.idHash
}
