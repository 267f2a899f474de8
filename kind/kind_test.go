package kind

import "testing"

func TestParseRoundTrip(t *testing.T) {
	for _, m := range Models {
		if got, err := ParseModel(string(m)); err != nil || got != m {
			t.Errorf("ParseModel(%q) = %q, %v", m, got, err)
		}
	}
	for _, a := range Activations {
		if got, err := ParseActivation(string(a)); err != nil || got != a {
			t.Errorf("ParseActivation(%q) = %q, %v", a, got, err)
		}
	}
	for _, l := range Losses {
		if got, err := ParseLoss(string(l)); err != nil || got != l {
			t.Errorf("ParseLoss(%q) = %q, %v", l, got, err)
		}
	}
	for _, f := range Families {
		if got, err := ParseFamily(string(f)); err != nil || got != f {
			t.Errorf("ParseFamily(%q) = %q, %v", f, got, err)
		}
	}
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
