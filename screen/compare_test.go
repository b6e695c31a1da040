package screen

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
)

func TestJaroWinkler(t *testing.T) {
	// Reference values from Winkler's papers and the usual test tables.
	tests := []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.961},
		{"dwayne", "duane", 0.840},
		{"dixon", "dicksonx", 0.813},
		{"jones", "johnson", 0.832},
		{"abc", "abc", 1},
		{"abc", "xyz", 0},
		{"", "abc", 0},
	}
	for _, tt := range tests {
		got := JaroWinkler(tt.a, tt.b)
		if math.Abs(got-tt.want) > 0.0005 {
			t.Errorf("JaroWinkler(%q, %q) = %.4f, want %.3f", tt.a, tt.b, got, tt.want)
		}
		if rev := JaroWinkler(tt.b, tt.a); math.Abs(rev-got) > 1e-9 {
			t.Errorf("JaroWinkler is not symmetric on %q, %q: %v and %v", tt.a, tt.b, got, rev)
		}
	}
}

func TestFoldKey(t *testing.T) {
	same := [][2]string{
		{"yevgeniy", "evgenii"},
		{"shcherbakov", "scherbakov"},
		{"abdallah", "abdalla"},
		{"youssef", "yusef"},
		{"khamid", "hamid"},
		{"chong", "tsong"}, // Greek τσ
		{"abdurrahman", "abdourahman"},
		{"zhukov", "jukov"},
		{"mohammed", "mohamed"},
	}
	for _, p := range same {
		if a, b := foldKey(p[0]), foldKey(p[1]); a != b {
			t.Errorf("foldKey(%q) = %q, foldKey(%q) = %q: want equal", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{{"hassan", "hussein"}, {"ivan", "ivana"}, {"kim", "king"}}
	for _, p := range differ {
		if foldKey(p[0]) == foldKey(p[1]) {
			t.Errorf("foldKey(%q) = foldKey(%q) = %q: want different", p[0], p[1], foldKey(p[0]))
		}
	}
}

func TestSkeletonKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mohammed", "mhmd"},
		{"mhmd", "mhmd"},
		{"mahmoud", "mhmd"},
		{"assad", "asd"}, // an initial vowel is kept as a
		{"saeed", "sd"},
		{"avraham", "abrhm"},
		{"abrhm", "abrhm"},
		{"chipo", "cb"},
		{"tshibu", "cb"},
		{"abdallah", "abdl"},
	}
	for _, tt := range tests {
		if got := skeletonKey(tt.in); got != tt.want {
			t.Errorf("skeletonKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAbjadMatch(t *testing.T) {
	tests := []struct {
		abjad, latin string
		want         bool
	}{
		{"mhmd", "mohammed", true},
		{"mhmd", "mahmoud", true}, // محمد cannot tell them apart
		{"mhmud", "mahmoud", true},
		{"mhmud", "mohammed", false}, // محمود can: its waw is not Mohammed's e
		{"hsin", "hussein", true},
		{"hsn", "hassan", true},
		{"hsin", "hassan", false},
		{"asd", "assad", true},
		{"asd", "saeed", false}, // an initial alef is a vowel Saeed lacks
		{"abd allah", "abdullah", false},
		{"abdllh", "abdullah", true},
		{"dod", "david", true}, // Hebrew vav read o stands for v
		{"yakv", "yaakov", true},
		{"msha", "moshe", true},
		{"mkhal", "makol", false},
		{"mkhal", "mikhail", true},
		{"llna", "liliana", true}, // two lams are two l
		{"lna", "liliana", false},
		{"mhmmd", "mohammed", true}, // a doubled letter spelt out
		{"bfl", "pavel", true},
	}
	for _, tt := range tests {
		if got := abjadMatch(tt.abjad, tt.latin); got != tt.want {
			t.Errorf("abjadMatch(%q, %q) = %v, want %v", tt.abjad, tt.latin, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		query, listed string
		min, max      float64
	}{
		{"Manuel Antonio NORIEGA", "Manuel Antonio NORIEGA", 1, 1},
		{"NORIEGA, Manuel Antonio", "Manuel Antonio NORIEGA", 1, 1}, // order does not matter
		{"Manuel Antonio NOREIGA", "Manuel Antonio NORIEGA", 0.9, 0.99},
		{"Manuel NORIEGA", "Manuel Antonio NORIEGA", 0.9, 0.99}, // middle name left out
		{"Gen. Manuel Antonio Noriega", "Manuel Antonio NORIEGA", 1, 1},
		{"Мануэль Антонио Норьега", "Manuel Antonio NORIEGA", 0.85, 1},
		{"Abdulrahman BAKRI", "Abd al-Rahman BAKRI", 0.9, 1}, // written together
		{"Yevgeniy PRIGOZHIN", "Евгений Пригожин", 0.9, 1},
		{"يوسف كمال الحرازي", "Yusuf Kamal AL-HARAZI", 0.9, 1},
		{"איתן לבנון", "Eitan LEVANON", 0.85, 1},
		{"Κώστας Παπαμιχαήλ", "Kostas PAPAMICHAIL", 0.9, 1},
		{"M. NORIEGA", "Manuel Antonio NORIEGA", 0.5, 0.8}, // an initial is not a name
		{"NORIEGA", "Manuel Antonio NORIEGA", 0, 0.8},      // nor is one name part
		{"George BUSH", "George HABBASH", 0, 0.6},
		{"Abdolsamad MOHTASHAM", "Abdolhamid MOHTASHAM", 0, 0.84}, // told apart after Abdol-
		{"محمود حداوي", "Mohammed HADDAWI", 0, 0.84},
		{"محمود حداوي", "Mahmoud HADDAWI", 0.9, 1},
		{"John Smith", "Maria Gonzalez", 0, 0.1},
	}
	for _, tt := range tests {
		got, toks := Compare(tt.query, tt.listed)
		if got < tt.min || got > tt.max {
			t.Errorf("Compare(%q, %q) = %.3f, want in [%.2f, %.2f]; tokens %+v", tt.query, tt.listed, got, tt.min, tt.max, toks)
		}
	}
}

func TestCompareExplains(t *testing.T) {
	_, toks := Compare("Manuel NOREIGA", "Manuel Antonio NORIEGA")
	want := []oversight.TokenScore{
		{Query: "manuel", Listed: "manuel", Score: 1, Method: oversight.MethodExact},
		{Query: "noreiga", Listed: "noriega", Score: toks[1].Score, Method: oversight.MethodFuzzy},
		{Listed: "antonio", Method: oversight.MethodUnmatched},
	}
	if len(toks) != len(want) {
		t.Fatalf("tokens = %+v, want %+v", toks, want)
	}
	for i := range want {
		if toks[i] != want[i] {
			t.Errorf("token %d = %+v, want %+v", i, toks[i], want[i])
		}
	}
	if toks[1].Score < 0.9 || toks[1].Score >= 1 {
		t.Errorf("noreiga~noriega scored %v, want in [0.9, 1)", toks[1].Score)
	}
}

func FuzzCompare(f *testing.F) {
	f.Add("Manuel Antonio NORIEGA", "NORIEGA, Manuel")
	f.Add("محمد بن سلمان", "Mohammed bin SALMAN")
	f.Add("J. R. R. Tolkien", "John Ronald Reuel TOLKIEN")
	f.Add("Abd al Rahman", "Abdulrahman")
	f.Fuzz(func(t *testing.T, a, b string) {
		s, toks := Compare(a, b)
		if s < 0 || s > 1 || math.IsNaN(s) {
			t.Fatalf("Compare(%q, %q) = %v, out of [0, 1]", a, b, s)
		}
		for _, tok := range toks {
			if tok.Score < 0 || tok.Score > 1 {
				t.Fatalf("Compare(%q, %q): token %+v out of [0, 1]", a, b, tok)
			}
		}
	})
}

// theophoric answers most tokens by their first two letters: every prefix
// must begin with them.
func TestTheophoricPrefixesBeginAb(t *testing.T) {
	for _, p := range theophoricPrefixes {
		if len(p) < 3 || p[:2] != "ab" {
			t.Errorf("prefix %q: theophoric looks only at tokens of three letters or more beginning ab", p)
		}
	}
}

// The bound must never be below the similarity it stands for, or the
// comparisons it spares would change answers.
func TestSimilarityBound(t *testing.T) {
	pairs := [][2]string{
		{"petrov", "petrova"}, {"hassan", "husain"}, {"ali", "alibaba"}, {"kim", "mik"},
		{"abdulrahman", "abdelrahman"}, {"a", "b"}, {"x", "x"}, {"zavadski", "savadsky"},
		{strings.Repeat("ab", 40), strings.Repeat("ba", 41)},
		// Bytes sharing their low five bits, told apart by the
		// similarity and not by the bound.
		{"agent007", "agentpqw"}, {"p0", "0p"}, {"AbC", "abc"},
	}
	r := rand.New(rand.NewPCG(16, 5))
	word := func(letters int) string {
		b := make([]byte, 1+r.IntN(14))
		for i := range b {
			b[i] = byte('a' + r.IntN(letters))
		}
		return string(b)
	}
	for i := range 20000 {
		pairs = append(pairs, [2]string{word(2 + i%24), word(2 + i%24)})
	}
	for _, p := range pairs {
		if s, b := similarity(p[0], p[1]), similarityBound(p[0], p[1]); s > b {
			t.Fatalf("similarity(%q, %q) = %v above its bound %v", p[0], p[1], s, b)
		}
	}
}

// jaroTextbook is Jaro similarity as usually written, scanning the window
// for each byte: jaro must give exactly its answers.
func jaroTextbook(a, b string) float64 {
	a, b = a[:min(len(a), 64)], b[:min(len(b), 64)]
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0 // equal strings need no shortcut: they score 1
	}
	window := max(0, max(la, lb)/2-1)
	ma, mb := make([]bool, la), make([]bool, lb)
	matches := 0
	for i := range la {
		for k := max(0, i-window); k < min(lb, i+window+1); k++ {
			if !mb[k] && a[i] == b[k] {
				ma[i], mb[k] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	transpositions, k := 0, 0
	for i := range la {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if a[i] != b[k] {
			transpositions++
		}
		k++
	}
	m := float64(matches)
	return (m/float64(la) + m/float64(lb) + (m-float64(transpositions/2))/m) / 3
}

// jaro finds matches by bit sets keyed on a byte's low five bits: bytes
// that share them (a and A, p and 0, bytes above 127) must not match, and
// strings up to and past 64 bytes must give the textbook's answer.
func TestJaroIsTextbook(t *testing.T) {
	alphabets := []string{"ab", "abcdefghij", "abcdefghijklmnopqrstuvwxyz", "pP0qQ1aA!\x81\xe1", "ab p0"}
	r := rand.New(rand.NewPCG(7, 11))
	word := func(alpha string) string {
		n := r.IntN(20)
		if r.IntN(10) == 0 {
			n = 60 + r.IntN(10)
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		return string(b)
	}
	for i := range 50000 {
		alpha := alphabets[i%len(alphabets)]
		a, b := word(alpha), word(alpha)
		if r.IntN(3) == 0 && len(a) > 1 { // a near copy, as names mostly are
			b = a[1:] + a[:1]
		}
		if got, want := jaro(a, b), jaroTextbook(a, b); got != want {
			t.Fatalf("jaro(%q, %q) = %v, textbook %v", a, b, got, want)
		}
	}
}

// plainBelow must never tell a pair below the bar that tokenSimFold puts
// at or above it, or a lookup would lose a token it finds.
func TestPlainBelowIsABound(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	pieces := []string{"a", "b", "d", "e", "i", "k", "kh", "sh", "ph", "ou", "y", "o", "m", "n", "r", "s", "ch", "abd", "ul", "ee"}
	word := func() string {
		var b strings.Builder
		for range 1 + r.IntN(6) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	told := 0
	for range 50000 {
		q, l := newTerm(Token{Text: word(), Kind: Regular}), newTerm(Token{Text: word(), Kind: Regular})
		fs := similarity(q.fold, l.fold)
		for _, bar := range []float64{pairFloor, candFloor, strongMatch} {
			if !plainBelow(&q, &l, fs, bar) {
				continue
			}
			told++
			if s, _ := tokenSimFold(&q, &l, fs); s >= bar {
				t.Fatalf("plainBelow(%q, %q, %.3f) but tokenSimFold = %v", q.text, l.text, bar, s)
			}
		}
	}
	if told == 0 {
		t.Fatal("plainBelow told no pair below any bar: the test tests nothing")
	}
}
