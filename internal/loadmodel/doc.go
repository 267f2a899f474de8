// Package loadmodel turns a network read from a file (package modelfile)
// and the user's choices the file does not fix — activation, loss, and
// data when the file has none — into a numerics.Problem.
//
// The file fixes the sizes (d, the hidden widths, C), which layers have a
// bias, the weights and, when it holds X and y, the data. The activation
// and the loss come from the flags or from a safetensors file's
// __metadata__; a flag that contradicts the metadata, or a choice neither
// supplies, is a *ChoiceError naming the flag:
//
//	m, err := loadmodel.Read(path) // modelfile.Read within the process budget
//	cfg, err := loadmodel.Config(m, loadmodel.Choices{Loss: kind.CE})
//	err = loadmodel.CheckMeasure(m, cfg, membudget.Limit(), numerics.DefaultMaxDenseBytes)
//	p, err := loadmodel.Problem(m, cfg, nil, nil) // the file's X and y
//
// A one-layer file (L = 1) is the linear model, with a bias when the file
// has b1 (an LM head: numerics measures it through the structured path when
// H is too large to form); it has no activation, so only identity is
// accepted for it. Deeper files are the mlp model of that depth.
package loadmodel
