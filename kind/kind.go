package kind

import (
	"fmt"
	"strings"
)

// Model names the predictor whose Hessian is studied (THEORY.md §1).
type Model string

const (
	// Linear is f(x) = W x with W ∈ R^{C×d}.
	Linear Model = "linear"
	// MLP is the one-hidden-layer network f(x) = V φ(W x), W ∈ R^{m×d},
	// V ∈ R^{C×m}, without biases.
	MLP Model = "mlp"
)

// Activation names the hidden non-linearity φ of the MLP; None for the
// linear model.
type Activation string

const (
	None     Activation = ""
	Identity Activation = "identity"
	ReLU     Activation = "relu"
	Tanh     Activation = "tanh"
	// GELU is the exact Gaussian error linear unit u·Φ(u), Φ the standard
	// normal CDF (PyTorch's default, not the tanh approximation).
	GELU Activation = "gelu"
)

// Loss names the per-sample loss ℓ(z, y).
type Loss string

const (
	// MSE is ½‖z − e_y‖².
	MSE Loss = "mse"
	// CE is the softmax cross-entropy −z_y + log Σ_k e^{z_k}.
	CE Loss = "ce"
)

// Layer says which layer a block (one neuron's incoming weights) is in.
type Layer string

const (
	// Hidden blocks are the rows w_i of the MLP's first layer.
	Hidden Layer = "hidden"
	// Output blocks are the rows of the last layer: w_k of the linear
	// model, v_k of the MLP.
	Output Layer = "output"
)

// Family groups the pairs of blocks by the layers of the two blocks: the
// three names below for one- and two-layer models, "Lp-Lq" (LayerPair)
// for networks of three or more layers.
type Family string

const (
	// HiddenHidden pairs rows of the MLP's W.
	HiddenHidden Family = "hidden-hidden"
	// OutputOutput pairs rows of the last layer.
	OutputOutput Family = "output-output"
	// HiddenOutput pairs a row of W with a row of V; its ratio is
	// normalized by √(‖H_aa‖‖H_bb‖) (THEORY.md §4).
	HiddenOutput Family = "hidden-output"
)

// Models, Activations, Losses and Families list the valid names in the
// order the command, the report and the golden tables use.
var (
	Models      = []Model{Linear, MLP}
	Activations = []Activation{Identity, ReLU, Tanh, GELU}
	Losses      = []Loss{MSE, CE}
	Families    = []Family{HiddenHidden, OutputOutput, HiddenOutput}
)

// FamilyOf returns the family of a pair of blocks in layers a and b.
func FamilyOf(a, b Layer) Family {
	switch {
	case a == Hidden && b == Hidden:
		return HiddenHidden
	case a == Output && b == Output:
		return OutputOutput
	}
	return HiddenOutput
}

// FamiliesOf lists the families a model has: output–output for the linear
// model; hidden–hidden, output–output and hidden–output for the MLP.
func FamiliesOf(m Model) []Family {
	if m == MLP {
		return append([]Family(nil), Families...)
	}
	return []Family{OutputOutput}
}

// ParseModel accepts "linear" and "mlp" (aliases "network",
// "one-hidden-layer"), in any case.
func ParseModel(s string) (Model, error) {
	switch Model(strings.ToLower(s)) {
	case Linear:
		return Linear, nil
	case MLP, "network", "one-hidden-layer":
		return MLP, nil
	}
	return "", fmt.Errorf("unknown model %q (want %q or %q)", s, Linear, MLP)
}

// ParseActivation accepts "identity", "relu", "tanh" and "gelu", in any
// case.
func ParseActivation(s string) (Activation, error) {
	switch a := Activation(strings.ToLower(s)); a {
	case Identity, ReLU, Tanh, GELU:
		return a, nil
	}
	return "", fmt.Errorf("unknown activation %q (want %q, %q, %q or %q)", s, Identity, ReLU, Tanh, GELU)
}

// ParseLoss accepts "mse" and "ce", in any case.
func ParseLoss(s string) (Loss, error) {
	switch l := Loss(strings.ToLower(s)); l {
	case MSE, CE:
		return l, nil
	}
	return "", fmt.Errorf("unknown loss %q (want %q or %q)", s, MSE, CE)
}

// ParseFamily accepts the three family names and the layer-pair names
// "Lp-Lq" (1 ≤ p ≤ q, as LayerPair gives them for networks of three or
// more layers); the en dash form used in prose ("hidden–output") is
// accepted too. A layer pair is returned in canonical form ("l1-l3" gives
// "L1-L3"); it is not checked against any depth.
func ParseFamily(s string) (Family, error) {
	f := Family(strings.ReplaceAll(strings.ToLower(s), "–", "-"))
	for _, g := range Families {
		if f == g {
			return g, nil
		}
	}
	if p, q, ok := LayerPairOf(Family(strings.ToUpper(string(f)))); ok {
		return Family(fmt.Sprintf("L%d-L%d", p, q)), nil
	}
	return "", fmt.Errorf("unknown block family %q (want %q, %q, %q or a layer pair such as \"L1-L2\")", s, HiddenHidden, OutputOutput, HiddenOutput)
}

// LayerPair returns the family of the pairs of blocks in layers p and q
// (1-based, either order) of a network of depth L weight layers: the
// legacy names for L ≤ 2 (output-output for L = 1; hidden-hidden,
// output-output and hidden-output for L = 2) and "Lp-Lq" with p ≤ q for
// L ≥ 3. Layers outside [1, L] give "".
func LayerPair(p, q, L int) Family {
	if p > q {
		p, q = q, p
	}
	if p < 1 || q > L {
		return ""
	}
	switch {
	case L == 1:
		return OutputOutput
	case L == 2 && p == 1 && q == 1:
		return HiddenHidden
	case L == 2 && p == 2:
		return OutputOutput
	case L == 2:
		return HiddenOutput
	}
	return Family(fmt.Sprintf("L%d-L%d", p, q))
}

// LayerPairOf parses a family of the form "Lp-Lq" (1 ≤ p ≤ q) into its
// layers; ok is false for the legacy names and anything else.
func LayerPairOf(f Family) (p, q int, ok bool) {
	var rest string
	n, err := fmt.Sscanf(string(f), "L%d-L%d%s", &p, &q, &rest)
	if err == nil || n != 2 || p < 1 || q < p {
		return 0, 0, false
	}
	if string(f) != fmt.Sprintf("L%d-L%d", p, q) {
		return 0, 0, false // leading zeros, signs or spaces
	}
	return p, q, true
}

// LayerFamilies lists the families of a network of L weight layers in the
// order numerics reports them: the legacy list for L ≤ 2, and for L ≥ 3
// the same-layer families L1-L1 … LL-LL followed by the cross-layer ones
// L1-L2, L1-L3, …, L(L−1)-LL.
func LayerFamilies(L int) []Family {
	switch {
	case L <= 1:
		return []Family{OutputOutput}
	case L == 2:
		return append([]Family(nil), Families...)
	}
	var fs []Family
	for p := 1; p <= L; p++ {
		fs = append(fs, LayerPair(p, p, L))
	}
	for p := 1; p <= L; p++ {
		for q := p + 1; q <= L; q++ {
			fs = append(fs, LayerPair(p, q, L))
		}
	}
	return fs
}
