using System.Text;

namespace KillSafe.Verification;

/// <summary>Thrown by <see cref="LeakGuard.VerifyNoLeaksAsync"/>: the message lists each leftover and the command that removes it.</summary>
public sealed class LeakException : VerificationException
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

/// <summary>A command that a guarded test runs to its end in namespaces of its own (<see cref="LeakGuard.CheckIsolatedAsync"/>). Immutable.</summary>
public sealed record GuardedCommand
{
    /// <summary>The program to start.</summary>
    public required string FileName { get; init; }

    /// <summary>Its arguments.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = Array.Empty<string>();

    /// <summary>Environment changes (null removes a variable).</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>How long it may run; then it is killed and the check fails.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What stays private and what is shared with the host.</summary>
    public IsolationOptions Isolation { get; init; } = new();

    /// <summary>Where to look (inside the namespaces): the temp folder by default; each folder named here also gets a private layer.</summary>
    public SnapshotOptions Snapshot { get; init; } = new();

    /// <summary>Options that run the entry point of the .NET assembly <paramref name="assemblyPath"/> with <paramref name="arguments"/>.</summary>
    public static GuardedCommand ForAssembly(string assemblyPath, params string[] arguments) => new()
    {
        FileName = KillRunOptions.DotnetHost,
        Arguments = new[] { assemblyPath }.Concat(arguments).ToList(),
    };
}

/// <summary>What a guarded command left in its namespaces (<see cref="LeakGuard.CheckIsolatedAsync"/>).</summary>
/// <param name="ExitCode">The command's exit code.</param>
/// <param name="Leaks">What it left; pids are as the namespaces saw them.</param>
/// <param name="Output">Its output (stdout and stderr).</param>
/// <param name="Isolation">What was isolated, in words.</param>
public sealed record GuardedRunReport(int ExitCode, LeakReport Leaks, string Output, string Isolation);

/// <summary>
/// A baseline guard for tests, like goleak's IgnoreCurrent: <see cref="Start"/> records what exists,
/// <see cref="VerifyNoLeaksAsync"/> fails when the code run in between left something.
/// A per-test guard sees everything that changed on the machine, so it cannot tell apart tests that run in
/// parallel: run such tests in one collection, or use one guard for the whole suite (a fixture that starts
/// it before the first test and verifies after the last). Or run the code under test as a command in
/// namespaces of its own (<see cref="CheckIsolatedAsync"/>): then what is found is that command's only,
/// guarded tests may run in parallel, and nothing it leaves reaches the machine.
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
    public Task<LeakReport> CheckAsync(CancellationToken cancellationToken = default) => Leaks.SettleAsync(_baseline, _snapshotOptions, _diffOptions, cancellationToken);

    /// <summary>
    /// Runs <paramref name="command"/> to its end as the first process of fresh IPC, mount, PID and network
    /// namespaces (<see cref="Verification.Isolation"/>) and reports what it left there: SysV and POSIX IPC
    /// objects, files and socket files in the watched folders, and processes it left running. Everything found
    /// is the command's; the namespaces and all of it are gone when this returns.
    /// </summary>
    /// <exception cref="VerificationEnvironmentException">Namespaces are refused here (<see cref="Verification.Isolation.Probe"/> says why).</exception>
    /// <exception cref="VerificationException">The command did not start, or did not end within its timeout.</exception>
    public static async Task<GuardedRunReport> CheckIsolatedAsync(GuardedCommand command, CancellationToken cancellationToken = default)
    {
        var options = new KillRunOptions
        {
            FileName = command.FileName,
            Arguments = command.Arguments,
            Environment = command.Environment,
            Timeout = command.Timeout,
            Snapshot = command.Snapshot,
        };
        var (exitCode, leaks, output, isolation) = await IsolatedAgent.RunToExitAsync(options, command.Isolation, cancellationToken).ConfigureAwait(false);
        return new GuardedRunReport(exitCode, leaks, output, isolation);
    }

    /// <summary>Like <see cref="CheckIsolatedAsync"/>, and throws <see cref="LeakException"/> when the command left anything.</summary>
    public static async Task<GuardedRunReport> VerifyNoLeaksIsolatedAsync(GuardedCommand command, CancellationToken cancellationToken = default)
    {
        var report = await CheckIsolatedAsync(command, cancellationToken).ConfigureAwait(false);
        if (!report.Leaks.IsClean)
            throw new LeakException(report.Leaks);
        return report;
    }

    /// <summary>Throws <see cref="LeakException"/> when anything kernel-persistent appeared since the baseline.</summary>
    public async Task VerifyNoLeaksAsync(CancellationToken cancellationToken = default)
    {
        var report = await CheckAsync(cancellationToken).ConfigureAwait(false);
        if (!report.IsClean)
            throw new LeakException(report);
    }
}
