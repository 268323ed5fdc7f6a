using CsCheck;
using Statehouse.Core.Store;
using Statehouse.Core.Tests.Modeling;
using Statehouse.Core.Tests.Support;
using Xunit.Abstractions;

namespace Statehouse.Core.Tests;

/// <summary>
/// Model-based tests: random command sequences applied to the state machine and to <see cref="ReferenceStore"/>,
/// compared after every batch. A failure prints the CsCheck seed; replay with
/// <c>CsCheck_Seed=&lt;seed&gt; dotnet test tests/Statehouse.Core.Tests --filter &lt;test name&gt;</c>.
/// </summary>
public sealed class StateMachineModelTests(ITestOutputHelper output)
{
    [Fact]
    public void Apply_MatchesReferenceModel_WhenRandomCommandSequencesRunWithSnapshots()
    {
        CommandGen.Scenario(200).Sample(
            scenario => Simulation.Run(scenario, new SimulationOptions
            {
                Variants = [() => new StateMachine(CommandGen.Limits)],
                Snapshots = true,
                ReplayAtEnd = true,
            }),
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(300),
            print: s => s.ToString());
    }

    [Fact]
    public void Apply_MatchesReferenceModel_WhenPhysicalCompactionTrimsEagerlyOrNever()
    {
        CommandGen.Scenario(150).Sample(
            scenario => Simulation.Run(scenario, new SimulationOptions
            {
                Variants =
                [
                    () => new StateMachine(CommandGen.Limits) { CompactionEventsPerBatch = 1 },
                    () => new StateMachine(CommandGen.Limits) { PhysicalCompactionEnabled = false },
                    () => new StateMachine(CommandGen.Limits) { CompactionEventsPerBatch = 100_000 },
                ],
            }),
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(150),
            print: s => s.ToString());
    }
}
