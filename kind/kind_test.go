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
