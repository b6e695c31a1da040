package oversight

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Dates and times as people type them. A value in the right form that
// names a day that does not exist (1990-02-30, a month 13) is told apart
// from a value in the wrong form: "must be YYYY-MM-DD" is no help to whoever
// typed 1990-02-30.

// BirthDateProblem returns what is wrong with s as a date of birth, a full
// date (YYYY-MM-DD) or a year (YYYY), for a field error; "" if nothing is.
func BirthDateProblem(s string) string {
	if len(s) == 4 {
		if _, err := time.Parse("2006", s); err == nil {
			return ""
		}
	} else if m := DateProblem(s); m != dateForm {
		return m // "", or the day does not exist
	}
	return "must be YYYY-MM-DD or YYYY"
}

const dateForm = "must be a date, YYYY-MM-DD"

// DateProblem returns what is wrong with s as a date, YYYY-MM-DD, for a
// field error; "" if nothing is.
func DateProblem(s string) string {
	if _, err := time.Parse(time.DateOnly, s); err == nil {
		return ""
	}
	if m := nonexistent(s); m != "" {
		return m
	}
	return dateForm
}

const timeForm = "must be an RFC 3339 time such as 2026-01-01T00:00:00Z"

// ParseTime parses an RFC 3339 time; its error, meant for a field error,
// says what is wrong: the form, or a day or an hour that does not exist.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New(timeProblem(s, err))
	}
	return t, nil
}

// timeProblem explains err, the error of parsing s as an RFC 3339 time.
func timeProblem(s string, err error) string {
	if len(s) > len(time.DateOnly) && s[len(time.DateOnly)] == 'T' {
		if m := nonexistent(s[:len(time.DateOnly)]); m != "" {
			return m
		}
	}
	var pe *time.ParseError
	if errors.As(err, &pe) && pe.Message != "" {
		// time's own words for a field out of range: ": hour out of range".
		return strconv.Quote(s) + " does not exist" + pe.Message
	}
	return timeForm
}

// nonexistent says why s, in the form YYYY-MM-DD, names no day; "" if s is
// not in that form, or is a day.
func nonexistent(s string) string {
	if len(s) != len(time.DateOnly) || s[4] != '-' || s[7] != '-' {
		return ""
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:7])
	d, err3 := strconv.Atoi(s[8:])
	if err1 != nil || err2 != nil || err3 != nil || s[0] == '+' || s[0] == '-' || s[5] == '+' || s[8] == '+' {
		return ""
	}
	switch days := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day(); {
	case m < 1 || m > 12:
		return fmt.Sprintf("%s does not exist: there is no month %s", s, s[5:7])
	case d < 1:
		return fmt.Sprintf("%s does not exist: there is no day %s", s, s[8:])
	case d > days:
		return fmt.Sprintf("%s does not exist: %s %d has %d days", s, time.Month(m), y, days)
	}
	return ""
}
