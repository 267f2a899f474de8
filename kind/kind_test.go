package kind

import "testing"

// roundTrip checks that parse accepts every name it lists, unchanged.
func roundTrip[T ~string](t *testing.T, names []T, parse func(string) (T, error)) {
	t.Helper()
	for _, n := range names {
		if got, err := parse(string(n)); err != nil || got != n {
			t.Errorf("parse(%q) = %q, %v", n, got, err)
		}
	}
}

func TestParseRoundTrip(t *testing.T) {
	roundTrip(t, Models, ParseModel)
	roundTrip(t, Activations, ParseActivation)
	roundTrip(t, Losses, ParseLoss)
	roundTrip(t, Families, ParseFamily)
	if got, err := ParseModel("Network"); err != nil || got != MLP {
		t.Errorf("ParseModel(Network) = %q, %v", got, err)
	}
	if got, err := ParseFamily("hidden–output"); err != nil || got != HiddenOutput {
		t.Errorf("ParseFamily(en dash) = %q, %v", got, err)
	}
}

func TestParseRejects(t *testing.T) {
	if _, err := ParseModel("cnn"); err == nil {
		t.Error("ParseModel(cnn): no error")
	}
	if _, err := ParseActivation(""); err == nil {
		t.Error("ParseActivation(\"\"): no error")
	}
	if _, err := ParseLoss("l1"); err == nil {
		t.Error("ParseLoss(l1): no error")
	}
	if _, err := ParseFamily("cross"); err == nil {
		t.Error("ParseFamily(cross): no error")
	}
}

func TestFamilies(t *testing.T) {
	if f := FamilyOf(Hidden, Output); f != HiddenOutput {
		t.Errorf("FamilyOf(hidden, output) = %q", f)
	}
	if f := FamilyOf(Output, Hidden); f != HiddenOutput {
		t.Errorf("FamilyOf(output, hidden) = %q", f)
	}
	if fs := FamiliesOf(Linear); len(fs) != 1 || fs[0] != OutputOutput {
		t.Errorf("FamiliesOf(linear) = %v", fs)
	}
	if fs := FamiliesOf(MLP); len(fs) != 3 {
		t.Errorf("FamiliesOf(mlp) = %v", fs)
	}
}

func TestLayerPair(t *testing.T) {
	cases := []struct {
		p, q, L int
		want    Family
	}{
		{1, 1, 1, OutputOutput},
		{1, 1, 2, HiddenHidden}, {2, 2, 2, OutputOutput}, {1, 2, 2, HiddenOutput}, {2, 1, 2, HiddenOutput},
		{1, 1, 3, "L1-L1"}, {3, 1, 3, "L1-L3"}, {2, 3, 3, "L2-L3"}, {8, 8, 8, "L8-L8"},
		{0, 1, 3, ""}, {1, 4, 3, ""},
	}
	for _, c := range cases {
		if got := LayerPair(c.p, c.q, c.L); got != c.want {
			t.Errorf("LayerPair(%d, %d, %d) = %q, want %q", c.p, c.q, c.L, got, c.want)
		}
	}
	for L := 1; L <= 8; L++ {
		fs := LayerFamilies(L)
		if want := L * (L + 1) / 2; len(fs) != want {
			t.Errorf("LayerFamilies(%d) has %d families, want %d", L, len(fs), want)
		}
		for _, f := range fs {
			if got, err := ParseFamily(string(f)); err != nil || got != f {
				t.Errorf("ParseFamily(%q) = %q, %v", f, got, err)
			}
		}
	}
	if got, err := ParseFamily("l2–l5"); err != nil || got != "L2-L5" {
		t.Errorf("ParseFamily(l2–l5) = %q, %v", got, err)
	}
	for _, bad := range []string{"L2-L1", "L0-L1", "L1-L", "L01-L2", "L1-L2x", "L-1-L2"} {
		if _, err := ParseFamily(bad); err == nil {
			t.Errorf("ParseFamily(%q): no error", bad)
		}
		if _, _, ok := LayerPairOf(Family(bad)); ok {
			t.Errorf("LayerPairOf(%q) ok", bad)
		}
	}
}
