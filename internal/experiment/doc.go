// Package experiment is the training experiment behind `hessblock train`
// and the report's dynamic section: a Spec fixes one run completely (data
// set, model, optimizer, checkpoints, Hessian statistics, seed), Run
// executes it, and the same Spec always gives the same numbers.
//
//	s, _ := experiment.Defaults(experiment.MNIST)
//	s.Steps = 100
//	if err := s.Validate(); err != nil { … }
//	res, err := experiment.Run(s, nil)
//	fmt.Println(s.CommandLine()) // the command that reproduces res
//
// A Spec with Load set starts from the network of a model file (package
// modelfile) instead of drawing one: its Model, C and d are the file's
// (the command fills them in by reading the file), and its data are the
// file's X and y (Data = FromFile) or a data set of the file's d and C.
package experiment
