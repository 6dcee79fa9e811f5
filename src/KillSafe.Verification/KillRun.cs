using System.Diagnostics;
using KillSafe.Verification.Proc;

namespace KillSafe.Verification;

/// <summary>How the harness knows the child is ready to be killed.</summary>
public abstract record Readiness
{
    /// <summary>A line of output containing <paramref name="Text"/>.</summary>
    public sealed record Line(string Text) : Readiness;

    /// <summary>A file appears at <paramref name="Path"/> (a new one, when one was there before the start).</summary>
    public sealed record FileExists(string Path) : Readiness;

    /// <summary>A new TCP listener on port <paramref name="Number"/> (IPv4 or IPv6, any address), read from the kernel's tables.</summary>
    public sealed record Port(int Number) : Readiness;

    /// <summary>A predicate the caller evaluates.</summary>
    public sealed record When(Func<bool> Predicate, string Description) : Readiness;
}

/// <summary>What to run and how to end it. Immutable: no method changes it.</summary>
public sealed record KillRunOptions
{
    /// <summary>The program to start.</summary>
    public required string FileName { get; init; }

    /// <summary>Its arguments.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = Array.Empty<string>();

    /// <summary>Environment changes (null removes a variable).</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>When the child counts as ready; null means "right after start".</summary>
    public Readiness? Ready { get; init; }

    /// <summary>The signal that ends it.</summary>
    public KillSignal Signal { get; init; } = KillSignal.Kill;

    /// <summary>How long to wait for readiness.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the program may take to exit after the signal. A program still running then handled the
    /// signal (PostgreSQL reloads on SIGHUP): the report says so, and the run ends it with SIGKILL.
    /// </summary>
    public TimeSpan ExitTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Check that the socket paths and TCP ports the child held can be taken again at once (bind probes). With
    /// <see cref="StartAgain"/> they are only hints about what blocked a restart that failed.
    /// </summary>
    public bool CheckRestart { get; init; } = true;

    /// <summary>
    /// The real restart check: start the same command again over what the first run left (same arguments,
    /// environment and readiness), wait until it is ready, then stop it (SIGTERM, then SIGKILL after
    /// <see cref="ExitTimeout"/>). Programs that remove their own stale files at start pass; programs that do
    /// not, fail. The second run dirties the machine as the first did: run it isolated (<see cref="Isolation"/>).
    /// </summary>
    public bool StartAgain { get; init; }

    /// <summary>
    /// Run in namespaces of its own (<see cref="Verification.Isolation"/>): everything found is the program's by
    /// construction, nothing it leaves reaches this machine, and runs in parallel do not see each other. Null (the
    /// default) runs on the host and compares the whole machine. Isolated, <see cref="Ready"/> cannot be a
    /// <see cref="Readiness.When"/> predicate (the run happens in another process), and pids in the report are
    /// as the namespaces saw them. Where namespaces are refused, <see cref="KillRun.RunAsync"/> throws
    /// <see cref="VerificationEnvironmentException"/> with the reason (<see cref="Verification.Isolation.Probe"/> tells beforehand).
    /// </summary>
    public IsolationOptions? Isolation { get; init; }

    /// <summary>Where and how to look.</summary>
    public SnapshotOptions Snapshot { get; init; } = new();

    /// <summary>How to judge.</summary>
    public DiffOptions Diff { get; init; } = new();

    /// <summary>Called while waiting, for progress output.</summary>
    public Action<string>? Progress { get; init; }

    /// <summary>
    /// The <c>dotnet</c> host that runs this process (so a child runs on the same runtime), found from the
    /// running runtime's location; <c>dotnet</c> from PATH as a last resort.
    /// </summary>
    public static string DotnetHost
    {
        [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "A program compiled ahead of time has no runtime folder: dotnet from PATH is the documented last resort.")]
        get
        {
            // <root>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll
            var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location);
            var root = runtime is null ? null : Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
            var host = root is null ? null : Path.Combine(root, "dotnet");
            return host is not null && File.Exists(host) ? host : "dotnet";
        }
    }

    /// <summary>Options that run the entry point of the .NET assembly <paramref name="assemblyPath"/> with <paramref name="arguments"/>.</summary>
    public static KillRunOptions ForAssembly(string assemblyPath, IEnumerable<string> arguments, Readiness? ready = null) => new()
    {
        FileName = DotnetHost,
        Arguments = new[] { assemblyPath }.Concat(arguments).ToList(),
        Ready = ready,
    };
}

/// <summary>The outcome of a kill run.</summary>
/// <param name="Pid">The child's pid.</param>
/// <param name="ExitCode">The child's exit code (128 + signal when a signal ended it).</param>
/// <param name="Leaks">What it left.</param>
/// <param name="Restart">The restart checks of what it held.</param>
/// <param name="Output">Its output.</param>
public sealed record KillRunReport(int Pid, int ExitCode, LeakReport Leaks, IReadOnlyList<RestartResult> Restart, string Output)
{
    /// <summary>
    /// True when the program was still running <see cref="KillRunOptions.ExitTimeout"/> after the signal (it
    /// handled it) and the run ended it with SIGKILL: <see cref="Leaks"/> is then what that SIGKILL left.
    /// </summary>
    public bool SurvivedSignal { get; init; }

    /// <summary>The signal the run sent first.</summary>
    public KillSignal Signal { get; init; }

    /// <summary>The real restart check (<see cref="KillRunOptions.StartAgain"/>), or null when it did not run.</summary>
    public RestartRun? StartedAgain { get; init; }

    /// <summary>What was isolated, in words, when the run had namespaces of its own (<see cref="KillRunOptions.Isolation"/>); null on the host.</summary>
    public string? Isolation { get; init; }

    /// <summary>
    /// True when the signal ended the program, nothing leaked, and the restart works: the program started
    /// again when that was tried (the bind probes are hints then), else every bind probe passed.
    /// </summary>
    public bool Passed => !SurvivedSignal && Leaks.IsClean && (StartedAgain is { } again ? again.Started : Restart.All(r => r.Succeeded));
}

/// <summary>The outcome of starting the program again over what its killed run left.</summary>
/// <param name="Started">True when it became ready again.</param>
/// <param name="Reason">Why not (it exited, timed out), in words; empty when it started.</param>
/// <param name="Output">The second run's output.</param>
public sealed record RestartRun(bool Started, string Reason, string Output)
{
    /// <inheritdoc/>
    public override string ToString() => Started ? "started again over what the killed run left" : "did not start again over what the killed run left: " + Reason;
}

/// <summary>Runs a program, waits until it is ready, signals it, reaps it, and reports what it left.</summary>
public static class KillRun
{
    /// <summary>Runs one kill cycle.</summary>
    /// <exception cref="VerificationException">The program did not start, did not become ready, ignores the signal, or did not exit even on SIGKILL.</exception>
    /// <exception cref="VerificationEnvironmentException">An isolated run was asked for and namespaces are refused here.</exception>
    public static async Task<KillRunReport> RunAsync(KillRunOptions options, CancellationToken cancellationToken = default)
    {
        if (options.Isolation is { } isolation)
            return await IsolatedAgent.KillRunAsync(options, isolation, cancellationToken).ConfigureAwait(false);
        var baseline = Snapshot.Take(options.Snapshot);
        var readyFileBefore = options.Ready is Readiness.FileExists f ? UnixFile.Stat(f.Path) : null;
        using var child = ChildProcess.Start(options.FileName, options.Arguments, options.Environment);
        options.Progress?.Invoke($"started pid {child.Pid}, waiting until it is ready");
        await WaitReadyAsync(child, options, baseline, readyFileBefore, cancellationToken).ConfigureAwait(false);

        // What the child holds now: its descendants, its listening ports, socket paths and objects.
        var ready = Snapshot.Take(options.Snapshot);
        var tree = Descendants(ready, child.Pid);
        var self = tree.FirstOrDefault(p => p.Pid == child.Pid);
        var tracked = new HashSet<ProcessIdentity>(tree);
        var readinessFile = (options.Ready as Readiness.FileExists)?.Path;
        var heldReport = Leaks.Diff(baseline, ready, options.Diff with { TrackedProcesses = tracked, ReadinessFile = readinessFile, IgnoreRuntimeLitter = false });
        var held = heldReport.Leftovers.Concat(heldReport.RuntimeLitter).Concat(heldReport.ReadinessFiles)
            .Where(l => l.Owner.Alive == Liveness.Alive && l.Owner.Process is { } p && tracked.Contains(p))
            .ToList();

        var runUid = EffectiveUid(ready, child.Pid);
        RefuseIgnoredSignal(child.Pid, options.Signal);
        options.Progress?.Invoke($"ready; sending SIG{options.Signal.ToString().ToUpperInvariant()}");
        child.Signal(options.Signal);
        var (exitCode, survived) = await WaitOrKillAsync(child, options).ConfigureAwait(false);
        if (self is not null)
            tracked.Remove(self);
        options.Progress?.Invoke($"exited with {exitCode}; letting the system settle");
        var diff = options.Diff with
        {
            TrackedProcesses = tracked,
            Run = self,
            HeldByRun = new HashSet<ResourceId>(held.Select(l => l.Id)),
            RunUid = runUid,
            ReadinessFile = readinessFile,
        };
        var report = await Leaks.SettleAsync(baseline, options.Snapshot, diff, cancellationToken).ConfigureAwait(false);
        if (survived)
            report = report.WithNote($"left after verify's SIGKILL (the program survived SIG{options.Signal.ToString().ToUpperInvariant()})");

        var restart = new List<RestartResult>();
        if (options.CheckRestart)
        {
            foreach (var socketFile in held.Where(l => l.Kind == LeftoverKind.UnixSocketFile && !l.IsRuntimeLitter))
                restart.Add(RestartCheck.UnixSocketPath(socketFile.Identity));
            foreach (var segment in held.Select(l => l.Id).OfType<SysVResource>().Where(s => s.Kind == KillSafe.Verification.Proc.SysVKind.SharedMemory && s.Key != 0))
                restart.Add(RestartCheck.SysVSharedMemoryKey((int)segment.Key));
            foreach (var listener in held.Select(l => l.Id).OfType<EndpointResource>())
                restart.Add(RestartCheck.TcpPort(listener.Local.Port, listener.Local.Address));
        }

        var again = options.StartAgain ? await StartAgainAsync(options, cancellationToken).ConfigureAwait(false) : null;
        return new KillRunReport(child.Pid, exitCode, report, restart, child.Output) { SurvivedSignal = survived, Signal = options.Signal, StartedAgain = again };
    }

    /// <summary>
    /// Inside isolation only (<see cref="IsolatedAgent"/>): runs the command to its end and reports what it left.
    /// This process is the first of the PID namespace, so the program's orphans become its children: those
    /// are the processes still tracked (pid_namespaces(7)).
    /// </summary>
    internal static async Task<(int ExitCode, LeakReport Leaks, string Output)> RunToExitAsync(KillRunOptions options, CancellationToken cancellationToken = default)
    {
        var baseline = Snapshot.Take(options.Snapshot);
        using var child = ChildProcess.Start(options.FileName, options.Arguments, options.Environment);
        var self = ProcessIdentity.Of(child.Pid, options.Snapshot.ProcRoot);
        options.Progress?.Invoke($"started pid {child.Pid}, waiting until it exits");
        int exitCode;
        try
        {
            exitCode = await child.WaitForExitAsync(options.Timeout).ConfigureAwait(false);
        }
        catch (VerificationException)
        {
            child.KillTree();
            throw new VerificationException($"{options.FileName} did not exit within {options.Timeout.TotalSeconds:0.#} s; it was killed. Its output:\n{child.Output}");
        }

        var existed = new HashSet<ProcessIdentity>(baseline.Processes.Select(p => new ProcessIdentity(p.Pid, p.StartTime)));
        var orphans = Snapshot.Take(options.Snapshot).Processes
            .Where(p => p.ParentPid == System.Environment.ProcessId)
            .Select(p => new ProcessIdentity(p.Pid, p.StartTime))
            .Where(p => !existed.Contains(p))
            .ToHashSet();
        options.Progress?.Invoke($"exited with {exitCode}; letting the system settle");
        var diff = options.Diff with { TrackedProcesses = orphans, Run = self };
        var report = await Leaks.SettleAsync(baseline, options.Snapshot, diff, cancellationToken).ConfigureAwait(false);
        return (exitCode, report, child.Output);
    }

    /// <summary>The same command again, over the leftovers: ready or not, then stopped with SIGTERM (SIGKILL for its tree after the exit timeout).</summary>
    private static async Task<RestartRun> StartAgainAsync(KillRunOptions options, CancellationToken cancellationToken)
    {
        var baseline = Snapshot.Take(options.Snapshot);
        var readyFileBefore = options.Ready is Readiness.FileExists f ? UnixFile.Stat(f.Path) : null;
        options.Progress?.Invoke("starting the program again over what it left");
        using var child = ChildProcess.Start(options.FileName, options.Arguments, options.Environment);
        string reason = string.Empty;
        try
        {
            if (options.Ready is null)
            {
                // No readiness signal: started means still running a moment later.
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                if (child.HasExited)
                    reason = $"it exited at once with {await child.WaitForExitAsync(options.ExitTimeout).ConfigureAwait(false)}";
            }
            else
            {
                await WaitReadyAsync(child, options, baseline, readyFileBefore, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (VerificationException e)
        {
            // The first line says what happened; the output follows in the report on its own.
            reason = System.Text.RegularExpressions.Regex.Replace(e.Message.Split('\n')[0], @"\.? ?(Its output|Output of process \d+):$", string.Empty);
        }

        if (!child.HasExited)
        {
            child.Signal(KillSignal.Term);
            try
            {
                await child.WaitForExitAsync(options.ExitTimeout).ConfigureAwait(false);
            }
            catch (VerificationException)
            {
                child.KillTree();
                await child.WaitForExitAsync(options.ExitTimeout).ConfigureAwait(false);
            }
        }

        return new RestartRun(reason.Length == 0, reason, child.Output);
    }

    // A signal the process ignores cannot end it: say so at once rather than time out. A shell starts
    // background jobs with SIGINT and SIGQUIT ignored, and the ignoring is inherited (docs/linux-facts.md, "Signals").
    private static void RefuseIgnoredSignal(int pid, KillSignal signal)
    {
        if (signal == KillSignal.Kill || ProcStatus.Mask(pid, "SigIgn") is not { } mask)
            return;
        if ((mask >> ((int)signal - 1) & 1) == 1)
        {
            var name = "SIG" + signal.ToString().ToUpperInvariant();
            throw new VerificationException($"process {pid} ignores {name}, so {name} cannot end it (a shell starts background jobs with SIGINT and SIGQUIT ignored, and children inherit that): start it with 'env --default-signal={signal.ToString().ToUpperInvariant()} ...', or choose another signal");
        }
    }

    // The effective uid (the second of the Uid line's real, effective, saved and file-system uids).
    private static uint? EffectiveUid(Snapshot snapshot, int pid) =>
        ProcStatus.Numbers(pid, "Uid", snapshot.Options.ProcRoot) is { Count: > 1 } uids && uids[1] >= 0 ? (uint)uids[1] : null;

    private static async Task<(int ExitCode, bool Survived)> WaitOrKillAsync(ChildProcess child, KillRunOptions options)
    {
        try
        {
            return (await child.WaitForExitAsync(options.ExitTimeout).ConfigureAwait(false), false);
        }
        catch (VerificationException) when (options.Signal != KillSignal.Kill)
        {
            options.Progress?.Invoke($"pid {child.Pid} still runs {options.ExitTimeout.TotalSeconds:0.#} s after SIG{options.Signal.ToString().ToUpperInvariant()} (it handled the signal); ending its process tree with SIGKILL");
            child.KillTree();
            return (await child.WaitForExitAsync(options.ExitTimeout).ConfigureAwait(false), true);
        }
    }

    private static async Task WaitReadyAsync(ChildProcess child, KillRunOptions options, Snapshot baseline, FileEntry? readyFileBefore, CancellationToken cancellationToken)
    {
        switch (options.Ready)
        {
            case null:
                return;
            case Readiness.Line line:
                await child.WaitForOutputAsync(line.Text, options.Timeout).ConfigureAwait(false);
                return;
            case Readiness.FileExists file:
                // A file that was there before the start says nothing: wait for a new one (another file, by identity).
                var what = readyFileBefore is null ? $"file {file.Path} to appear" : $"a new file at {file.Path} (one was there before the program started, so it is not a readiness signal)";
                await PollAsync(child, () => UnixFile.Stat(file.Path) is { } now && (readyFileBefore is null || now.Identity != readyFileBefore.Identity), what, options.Timeout, cancellationToken).ConfigureAwait(false);
                return;
            case Readiness.Port port:
                // Read the kernel's TCP tables (IPv4 and IPv6) instead of connecting: a probe connection would
                // leave a TIME_WAIT of its own in the report, and the listener must be new, not an older one.
                var before = new HashSet<long>(baseline.Tcp.Where(t => t.IsListening).Select(t => t.Inode));
                await PollAsync(child, () => Snapshot.TcpListeners(options.Snapshot.ProcRoot).Any(t => t.Local.Port == port.Number && !before.Contains(t.Inode)), $"a listener on port {port.Number}", options.Timeout, cancellationToken).ConfigureAwait(false);
                return;
            case Readiness.When condition:
                await PollAsync(child, condition.Predicate, condition.Description, options.Timeout, cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private static async Task PollAsync(ChildProcess child, Func<bool> predicate, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!predicate())
        {
            if (child.HasExited)
                throw new VerificationException($"process {child.Pid} exited before {what}. Its output:\n{child.Output}");
            if (clock.Elapsed > timeout)
                throw new VerificationException($"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}. Output of process {child.Pid}:\n{child.Output}");
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The process and all its descendants in <paramref name="snapshot"/>.</summary>
    internal static IReadOnlyList<ProcessIdentity> Descendants(Snapshot snapshot, int root)
    {
        var byParent = snapshot.Processes.ToLookup(p => p.ParentPid);
        var result = new List<ProcessIdentity>();
        var queue = new Queue<int>();
        var self = snapshot.Processes.FirstOrDefault(p => p.Pid == root);
        if (self is not null)
            result.Add(new ProcessIdentity(self.Pid, self.StartTime));
        queue.Enqueue(root);
        while (queue.Count > 0 && result.Count < 10_000)
        {
            foreach (var child in byParent[queue.Dequeue()])
            {
                result.Add(new ProcessIdentity(child.Pid, child.StartTime));
                queue.Enqueue(child.Pid);
            }
        }

        return result;
    }
}
