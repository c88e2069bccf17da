using BenchmarkDotNet.Running;
using Medins.ContributionCalculation.Benchmarks;

BenchmarkSwitcher.FromAssembly(typeof(QuoteBenchmarks).Assembly).Run(args);
