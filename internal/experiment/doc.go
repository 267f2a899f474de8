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
package experiment
