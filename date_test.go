package oversight

import (
	"testing"
	"time"
)

func TestBirthDateProblem(t *testing.T) {
	for in, want := range map[string]string{
		"1990-02-28": "",
		"1992-02-29": "",
		"1990":       "",
		"1990-02-30": "1990-02-30 does not exist: February 1990 has 28 days",
		"1900-02-29": "1900-02-29 does not exist: February 1900 has 28 days",
		"1961-13-45": "1961-13-45 does not exist: there is no month 13",
		"1961-00-10": "1961-00-10 does not exist: there is no month 00",
		"1961-04-31": "1961-04-31 does not exist: April 1961 has 30 days",
		"1961-04-00": "1961-04-00 does not exist: there is no day 00",
		"1961-4-1":   "must be YYYY-MM-DD or YYYY",
		"12/04/1968": "must be YYYY-MM-DD or YYYY",
		"196":        "must be YYYY-MM-DD or YYYY",
		"19xx":       "must be YYYY-MM-DD or YYYY",
		"+961-04-01": "must be YYYY-MM-DD or YYYY",
		"1961-+4-01": "must be YYYY-MM-DD or YYYY",
		"":           "must be YYYY-MM-DD or YYYY",
	} {
		if got := BirthDateProblem(in); got != want {
			t.Errorf("BirthDateProblem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDateProblem(t *testing.T) {
	for in, want := range map[string]string{
		"2026-01-15": "",
		"2026-02-29": "2026-02-29 does not exist: February 2026 has 28 days",
		"2026":       "must be a date, YYYY-MM-DD",
		"15/01/2026": "must be a date, YYYY-MM-DD",
	} {
		if got := DateProblem(in); got != want {
			t.Errorf("DateProblem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]string{
		"2026-06-01T12:00:00Z":      "",
		"2026-06-01T12:00:00+02:00": "",
		"2026-06-31T12:00:00Z":      "2026-06-31 does not exist: June 2026 has 30 days",
		"2026-06-01T24:00:00Z":      `"2026-06-01T24:00:00Z" does not exist: hour out of range`,
		"2026-06-01":                "must be an RFC 3339 time such as 2026-01-01T00:00:00Z",
		"yesterday":                 "must be an RFC 3339 time such as 2026-01-01T00:00:00Z",
	} {
		got, err := ParseTime(in)
		if want == "" {
			if err != nil || !got.Equal(must(time.Parse(time.RFC3339, in))) {
				t.Errorf("ParseTime(%q) = %v, %v", in, got, err)
			}
			continue
		}
		if err == nil || err.Error() != want {
			t.Errorf("ParseTime(%q): err = %v, want %q", in, err, want)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
