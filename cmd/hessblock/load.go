package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/hessblock/hessblock/datasets"
	"github.com/hessblock/hessblock/internal/experiment"
	"github.com/hessblock/hessblock/internal/loadmodel"
	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/modelfile"
	"github.com/hessblock/hessblock/numerics"
)

// loadDoc is the usage text of -load (inspect and train).
const loadDoc = "read the network — and the data, if the file has X and y — from `FILE`: an .npz or a safetensors file " +
	"with W1…WL (out×in, like nn.Linear.weight), optional b1…bL, X (N×d) and y; the sizes, depth and biases come from the file, " +
	"the activation and loss from -activation and -loss (their defaults do not apply) or the safetensors __metadata__"

// loadExcludes are the flags that fix what a loaded file fixes: given with
// -load they are refused, not silently ignored.
var loadExcludes = []string{"model", "depth", "m", "C", "d", "bias", "sigma", "sigma-w", "sigma-v"}

// refuseWithLoad returns a usage error naming the flags of names given
// alongside -load.
func refuseWithLoad(fs *flag.FlagSet, names ...string) error {
	set := given(fs)
	var bad []string
	for _, n := range names {
		if set[n] {
			bad = append(bad, "-"+n)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return usagef("%s cannot be used with -load: the file fixes the model's sizes, depth, biases and weights", strings.Join(bad, ", "))
}

// loadChoices are the activation and loss flags that were given; the
// others are left to the file's metadata.
func loadChoices(cf *configFlags) loadmodel.Choices {
	set := given(cf.fs)
	var ch loadmodel.Choices
	if set["activation"] {
		ch.Activation = kind.Activation(*cf.act)
	}
	if set["loss"] {
		ch.Loss = kind.Loss(*cf.loss)
	}
	return ch
}

// readModel reads a model file and its configuration: file errors are
// runtime errors (status 1), a missing or contradicted activation or loss a
// usage error (status 2).
func readModel(path string, ch loadmodel.Choices) (*modelfile.Model, numerics.Config, error) {
	m, err := loadmodel.Read(path)
	if err != nil {
		return nil, numerics.Config{}, fmt.Errorf("-load: %w", err)
	}
	cfg, err := loadmodel.Config(m, ch)
	if err != nil {
		return nil, cfg, loadError(path, err)
	}
	return m, cfg, nil
}

// loadError marks a choice error as a usage error and names the file.
func loadError(path string, err error) error {
	var ce *loadmodel.ChoiceError
	if errors.As(err, &ce) {
		return usagef("-load %s: %v", path, err)
	}
	return fmt.Errorf("-load %s: %w", path, err)
}

// loadInspectProblem is inspect's problem for -load: the file's network on
// the file's data, or, for a file without X and y, on Gaussian data of the
// file's d and C drawn with -N and -seed (which are refused when the file
// has data). The whole measurement is checked against the budget first.
func loadInspectProblem(fl inspectFlags, cf *configFlags) (*numerics.Problem, string, error) {
	m, cfg, err := readModel(fl.load, loadChoices(cf))
	if err != nil {
		return nil, "", err
	}
	set := given(cf.fs)
	fromFlags := m.X == nil
	if !fromFlags && (set["N"] || set["seed"]) {
		return nil, "", usagef("-load %s: the file has X and y, and -N and -seed draw Gaussian data only for a file without them", fl.load)
	}
	if fromFlags {
		cfg.N, cfg.Seed = *cf.n, *cf.seed
		if cfg.N < 1 {
			return nil, "", usagef("-N %d, want ≥ 1", cfg.N)
		}
	}
	if err := loadmodel.CheckMeasure(m, cfg, membudget.Limit(), fl.maxDenseBytes, fromFlags); err != nil {
		return nil, "", err
	}
	var p *numerics.Problem
	if fromFlags {
		set, err := datasets.Gaussian(cfg.N, cfg.D, cfg.C, cfg.Seed)
		if err != nil {
			return nil, "", err
		}
		p, err = loadmodel.Problem(m, cfg, set.X, set.Labels)
	} else {
		p, err = loadmodel.Problem(m, cfg, nil, nil)
	}
	if err != nil {
		return nil, "", loadError(fl.load, err)
	}
	source := fmt.Sprintf("%s (weights, X and y; σ and seed unused)", fl.load)
	if fromFlags {
		source = fmt.Sprintf("%s (weights; Gaussian X and labels drawn with -N %d -seed %d)", fl.load, cfg.N, cfg.Seed)
	}
	return p, source, nil
}

// loadTrainSpec is train's spec for -load: the file's network and sizes,
// on the file's X and y (then -data, -N, -radius and -spread are refused)
// or, for a file without them, on the data set -data of the file's d and C
// with -N samples. The file is read here for its sizes and again by
// experiment.Run.
func loadTrainSpec(fs *flag.FlagSet, cf *configFlags, path, data string) (experiment.Spec, error) {
	if err := refuseWithLoad(fs, loadExcludes...); err != nil {
		return experiment.Spec{}, trainUsage("%v", err)
	}
	m, cfg, err := readModel(path, loadChoices(cf))
	if err != nil {
		return experiment.Spec{}, err
	}
	set := given(fs)
	var spec experiment.Spec
	if m.X != nil {
		for _, f := range []string{"data", "N", "radius", "spread"} {
			if set[f] {
				return spec, trainUsage("-load %s: the file has X and y, so -%s does not apply (it chooses the data for a file without them)", path, f)
			}
		}
		spec, _ = experiment.Defaults(experiment.Gaussian)
		spec.Data, spec.N = experiment.FromFile, m.X.RawMatrix().Rows
	} else {
		if spec, err = experiment.Defaults(data); err != nil {
			return spec, trainUsage("-data: %v", err)
		}
		if set["N"] {
			spec.N = *cf.n
		}
		if data == experiment.MNIST && cfg.C != 10 {
			return spec, trainUsage("-load %s: the file has no X and y, and its C = %d does not fit -data mnist (10 classes): choose -data gaussian, clustered or gotext", path, cfg.C)
		}
	}
	spec.Load, spec.Model = path, cfg
	spec.C, spec.D = cfg.C, cfg.D
	return spec, nil
}

// trainUsage is a usage error that points to train's flag list.
func trainUsage(format string, args ...any) error {
	return usagef(format+"\n(run 'hessblock train -h' for the flags and their defaults)", args...)
}
