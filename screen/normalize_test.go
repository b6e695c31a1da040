package screen

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Manuel Antonio NORIEGA", "manuel antonio noriega"},
		{"  José   Ñúñez-Ávila ", "jose nunez avila"},
		{"Müller Straße", "muller strasse"},
		{"Đorđe Łukasz Øster", "dorde lukasz oster"},
		{"ＡＢＤＵＬ ﬁrouz", "abdul firouz"}, // NFKC: fullwidth letters, ligature
		{"O'Brien", "obrien"},
		{"Dr. Ayman AL-ZAWAHIRI", "ayman al zawahiri"},
		{"Sheikh Umar Abd el-Rahman", "umar abd al rahman"},
		{"Mr Smith Jr.", "smith"},
		{"Mr", "mr"}, // nothing but an honorific: kept
		{"ash-Shami Ali", "al shami ali"},
		{"Nguyen Van An", "nguyen van an"},
		{"Ibn Battuta", "bin battuta"},
		{"Ben Smith", "ben smith"}, // a given name first
		{"David Ben Gurion", "david bin gurion"},
		{"J. R. R. Tolkien", "j r r tolkien"},
		// Cyrillic, ICAO style.
		{"Юрий Щербаков", "yuriy shcherbakov"},
		{"Евгений Пригожин", "evgeniy prigozhin"},
		{"Олександр Ґонта", "oleksandr gonta"},
		// Greek, ELOT 743 with χ as kh.
		{"Αλέξης Τσίπρας", "alexis tsipras"},
		{"Μπάμπης Ντόκος", "bambis dokos"}, // ELOT: μπ is b first, mb inside
		{"Χρήστος", "khristos"},
		// Arabic: article split off, long vowels written, short ones not.
		{"محمد بن سلمان", "mhmd bin slman"},
		{"أسامة", "asama"},
		{"عبدالله", "abd allah"},
		{"عبد الرحمن", "abd al rhmn"},
		{"يوسف", "yusf"},
		{"مُحَمَّد", "muhammad"}, // vowel signs and shadda read when written
		// Hebrew.
		{"בנימין", "bnimin"},
		{"יעקב", "yakv"},
		{"משה", "msha"},
		{"ג׳ורג׳", "jorj"},
		// Other scripts through unidecode.
		{"李小龍", "li xiao long"},
		{"", ""},
		{"--- 123 ---", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenizeKinds(t *testing.T) {
	toks := Tokenize("Dr. J. Abd al-Rahman van Dijk")
	var got []string
	for _, tok := range toks {
		got = append(got, tok.Text+":"+tok.Kind.String())
	}
	want := "j:initial abd:regular al:particle rahman:regular van:particle dijk:regular"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("Tokenize = %s, want %s", s, want)
	}
	if toks := Tokenize("Владимир"); toks[0].Script != Cyrillic {
		t.Errorf("script of Владимир = %v, want cyrillic", toks[0].Script)
	}
	if toks := Tokenize("محمد"); toks[0].Script != Arabic || !toks[0].Script.abjad() {
		t.Errorf("script of محمد = %v, want arabic (an abjad)", toks[0].Script)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Manuel Antonio NORIEGA", "Юрий Щербаков", "محمد بن سلمان", "בנימין", "Αλέξης", "Dr. J. R. R.", "ash-Shami", "李小龍", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		for i := 0; i < len(n); i++ {
			if c := n[i]; c != ' ' && (c < 'a' || c > 'z') {
				t.Fatalf("Normalize(%q) = %q: byte %q is not a lower-case ASCII letter", s, n, c)
			}
		}
		if strings.Contains(n, "  ") || strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") {
			t.Fatalf("Normalize(%q) = %q: bad spacing", s, n)
		}
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize is not idempotent: %q -> %q -> %q", s, n, again)
		}
		if utf8.ValidString(s) && n != "" {
			if score, _ := Compare(s, s); score != 1 {
				t.Fatalf("Compare(%q, itself) = %v, want 1", s, score)
			}
		}
	})
}
