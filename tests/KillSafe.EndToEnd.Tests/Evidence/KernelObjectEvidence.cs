using KillSafe.Verification;

namespace KillSafe.EndToEnd.Tests.Evidence;

/// <summary>
/// Shared steps of the evidence tests that create machine-wide kernel objects (IPC, /dev/shm): unique names,
/// a kill run that snapshots the machine, and a sweep of whatever a failing test leaves (dead owners only).
/// </summary>
public abstract class KernelObjectEvidence : SocketEvidence
{
    private readonly List<Leftover> _toSweep = new();

    public override void Dispose()
    {
        Sweeper.Sweep(_toSweep, apply: true); // objects whose owner is dead; a failing test must not litter
        base.Dispose();
    }

    /// <summary>A name no other test or run uses: it carries this test process's pid.</summary>
    protected static string UniqueName(string kind) => $"killsafe-{kind}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];

    /// <summary>Leftovers to remove when the test ends, passed or failed.</summary>
    protected void SweepLater(IEnumerable<Leftover> leftovers) => _toSweep.AddRange(leftovers);

    /// <summary>How the kill runs of these tests snapshot: the kernel's objects and this test's scratch directory.</summary>
    protected SnapshotOptions SnapshotOptions() => new() { Directories = new[] { Scratch.Path } };

    /// <summary>Runs <paramref name="dll"/> until READY, ends it with <paramref name="signal"/>, and reports what it left.</summary>
    protected async Task<KillRunReport> KillRunAsync(string dll, KillSignal signal, params string[] args)
    {
        var run = await KillRun.RunAsync(new KillRunOptions
        {
            FileName = DotnetCli.Host,
            Arguments = new[] { dll }.Concat(args).ToList(),
            Environment = InMemoryProgram.ChildEnvironment,
            Ready = new Readiness.Line("READY"),
            Signal = signal,
            Timeout = Timeout,
            Snapshot = SnapshotOptions(),
        });
        SweepLater(run.Leaks.Leftovers.Where(l => l.Owner.Alive == Liveness.Dead));
        return run;
    }
}
