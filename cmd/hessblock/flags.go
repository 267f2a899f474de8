package main

import (
	"flag"
	"fmt"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// configFlags are the flags that fix a model configuration. Every
// subcommand that takes one registers them here, so that a flag has one
// name and one meaning across inspect, train and sweep.
type configFlags struct {
	fs                    *flag.FlagSet
	model, act, loss      *string
	c, d, n, m, depth     *int
	bias                  *bool
	sigma, sigmaW, sigmaV *float64
	seed                  *uint64
}

// sizeDocs overrides the usage text of -C, -d, -N where a subcommand's
// default depends on something else (train's data set).
type sizeDocs map[string]string

// addConfigFlags registers -model, -activation, -loss, -C, -d, -N, -m,
// -depth, -bias, -sigma, -sigma-w, -sigma-v and -seed with the defaults of def (the MLP
// fields of def supply the MLP flags' defaults even when def.Model is
// linear), and -act as an alias of -activation.
func addConfigFlags(fs *flag.FlagSet, def numerics.Config, seedDoc string, docs sizeDocs) *configFlags {
	doc := func(name, fallback string) string {
		if s, ok := docs[name]; ok {
			return s
		}
		return fallback
	}
	f := &configFlags{fs: fs}
	f.model = fs.String("model", string(def.Model), doc("model", "model: linear or mlp"))
	f.act = fs.String("activation", string(def.Activation), "MLP activation: identity, relu, tanh or gelu (exact erf form)")
	alias(fs, "act", "activation")
	f.loss = fs.String("loss", string(def.Loss), "loss: ce or mse")
	f.c = fs.Int("C", def.C, doc("C", "number of classes C (≥ 2)"))
	f.d = fs.Int("d", def.D, doc("d", "input dimension d"))
	f.n = fs.Int("N", def.N, doc("N", "number of samples N"))
	f.m = fs.Int("m", def.M, "MLP hidden width m (of every hidden layer)")
	f.depth = fs.Int("depth", def.Depth, fmt.Sprintf("number of weight layers L: 0 for the model's default (linear 1, mlp 2), mlp up to %d", numerics.MaxDepth))
	f.bias = fs.Bool("bias", def.Bias, "give every layer a bias (zero-initialized)")
	f.sigma = fs.Float64("sigma", def.Sigma, "linear model: W_kj ~ N(0, σ²/d)")
	f.sigmaW = fs.Float64("sigma-w", def.SigmaW, "MLP: W_ij ~ N(0, σ_w²/d)")
	f.sigmaV = fs.Float64("sigma-v", def.SigmaV, "MLP: V_ki ~ N(0, σ_v²/m)")
	f.seed = fs.Uint64("seed", def.Seed, seedDoc)
	return f
}

// alias registers name as another spelling of the flag target.
func alias(fs *flag.FlagSet, name, target string) {
	fs.Var(fs.Lookup(target).Value, name, "same as -"+target)
}

// given reports the flags set on the command line, aliases under the name
// they stand for.
func given(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		if t := aliasTarget(f); t != "" {
			set[t] = true
		}
		set[f.Name] = true
	})
	return set
}

// aliasTarget is the flag an alias stands for, "" for a flag of its own.
func aliasTarget(f *flag.Flag) string {
	const prefix = "same as -"
	if len(f.Usage) > len(prefix) && f.Usage[:len(prefix)] == prefix {
		return f.Usage[len(prefix):]
	}
	return ""
}

// modelOr returns the model named by -model, or def when the flag was not
// given.
func (f *configFlags) modelOr(def kind.Model) (kind.Model, error) {
	if !given(f.fs)["model"] {
		return def, nil
	}
	m, err := kind.ParseModel(*f.model)
	if err != nil {
		return "", usagef("-model: %v", err)
	}
	return m, nil
}

// apply sets the loss and the model-specific fields of cfg (whose Model is
// already chosen) from the flags, and reports a flag given for the other
// model rather than ignoring it. Sizes and seed are left to the caller,
// whose defaults differ (train takes them from the data set).
func (f *configFlags) apply(cfg *numerics.Config) error {
	set := given(f.fs)
	var err error
	if cfg.Loss, err = kind.ParseLoss(*f.loss); err != nil {
		return usagef("-loss: %v", err)
	}
	cfg.Depth, cfg.Bias = *f.depth, *f.bias
	if cfg.Model == kind.Linear && cfg.Depth > 1 {
		return usagef("-depth %d is for the MLP (the linear model has one layer; use -model mlp)", cfg.Depth)
	}
	if cfg.Model == kind.MLP || set["activation"] {
		if cfg.Activation, err = kind.ParseActivation(*f.act); err != nil {
			return usagef("-activation: %v", err)
		}
	}
	if cfg.Model == kind.MLP {
		if set["sigma"] {
			return usagef("-sigma is for the linear model (use -sigma-w and -sigma-v)")
		}
		cfg.M, cfg.SigmaW, cfg.SigmaV = *f.m, *f.sigmaW, *f.sigmaV
		return nil
	}
	for _, name := range []string{"m", "sigma-w", "sigma-v"} {
		if set[name] {
			return usagef("-%s is for the MLP (use -model mlp)", name)
		}
	}
	cfg.Sigma = *f.sigma
	return nil
}

// memoryFlag is -max-memory, the one memory budget (package membudget).
// Setting it sets the process budget, which run scopes to one command.
type memoryFlag struct{ bytes int64 }

func (m *memoryFlag) String() string {
	if m == nil || m.bytes == 0 {
		return ""
	}
	return membudget.Format(m.bytes)
}

func (m *memoryFlag) Set(s string) error {
	b, err := membudget.Parse(s)
	if err != nil {
		return err
	}
	m.bytes = b
	membudget.SetLimit(b)
	return nil
}

// addMemoryFlag registers -max-memory. Every subcommand whose allocations
// grow with its flags (inspect, train, sweep, reproduce) registers it, so
// that the flag has one name, one syntax and one meaning.
func addMemoryFlag(fs *flag.FlagSet) {
	fs.Var(&memoryFlag{}, "max-memory", "memory budget `SIZE` (bytes, or e.g. 512MiB, 8GiB, 2GB) for everything that grows with the sizes "+
		"(data, weights, forward pass, Hessian or structured work arrays, grids × workers); an estimate over it stops the command "+
		"with status 1 before allocating (default "+membudget.DefaultDoc()+")")
}
