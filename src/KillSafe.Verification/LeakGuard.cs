using System.Text;

namespace KillSafe.Verification;

/// <summary>Thrown by <see cref="LeakGuard.VerifyNoLeaks"/>: the message lists each leftover and the command that removes it.</summary>
public sealed class LeakException : Exception
{
    /// <summary>Creates the exception for <paramref name="report"/>.</summary>
    public LeakException(LeakReport report)
        : base(Describe(report)) => Report = report;

    /// <summary>The report behind the exception.</summary>
    public LeakReport Report { get; }

    private static string Describe(LeakReport report)
    {
        var text = new StringBuilder();
        text.AppendLine($"{report.Leftovers.Count} kernel-persistent leftover(s):");
        foreach (var leftover in report.Leftovers)
            text.AppendLine($"  {leftover.Kind} {leftover.Identity} ({leftover.Owner}); remove with: {leftover.RemovalCommand}");
        return text.ToString();
    }
}

/// <summary>
/// A baseline guard for tests, like goleak's IgnoreCurrent: <see cref="Start"/> records what exists,
/// <see cref="VerifyNoLeaks"/> fails when the code run in between left something.
/// A per-test guard sees everything that changed on the machine, so it cannot tell apart tests that run in
/// parallel: run such tests in one collection, or use one guard for the whole suite (a fixture that starts
/// it before the first test and verifies after the last).
/// </summary>
public sealed class LeakGuard
{
    private readonly Snapshot _baseline;
    private readonly SnapshotOptions _snapshotOptions;
    private readonly DiffOptions _diffOptions;

    private LeakGuard(Snapshot baseline, SnapshotOptions snapshotOptions, DiffOptions diffOptions)
    {
        _baseline = baseline;
        _snapshotOptions = snapshotOptions;
        _diffOptions = diffOptions;
    }

    /// <summary>Records the baseline.</summary>
    public static LeakGuard Start(SnapshotOptions? snapshotOptions = null, DiffOptions? diffOptions = null)
    {
        snapshotOptions ??= new SnapshotOptions();
        diffOptions ??= new DiffOptions();
        if (ProcessIdentity.Of(Environment.ProcessId, snapshotOptions.ProcRoot) is { } self)
            diffOptions = diffOptions with { TrackedProcesses = new HashSet<ProcessIdentity>(diffOptions.TrackedProcesses) { self } }; // what the code under test holds in this process
        return new LeakGuard(Snapshot.Take(snapshotOptions), snapshotOptions, diffOptions);
    }

    /// <summary>What appeared since the baseline, after letting the system settle.</summary>
    public Task<LeakReport> CheckAsync() => Leaks.SettleAsync(_baseline, _snapshotOptions, _diffOptions);

    /// <summary>Throws <see cref="LeakException"/> when anything kernel-persistent appeared since the baseline.</summary>
    public async Task VerifyNoLeaks()
    {
        var report = await CheckAsync().ConfigureAwait(false);
        if (!report.IsClean)
            throw new LeakException(report);
    }
}
