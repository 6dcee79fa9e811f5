using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KillSafe.Verification;

/// <summary>How the harness knows the child is ready to be killed.</summary>
public abstract record Readiness
{
    /// <summary>A line of output containing <paramref name="Text"/>.</summary>
    public sealed record Line(string Text) : Readiness;

    /// <summary>A file appears at <paramref name="Path"/>.</summary>
    public sealed record FileExists(string Path) : Readiness;

    /// <summary>Something listens on TCP port <paramref name="Number"/> (loopback).</summary>
    public sealed record Port(int Number) : Readiness;

    /// <summary>A predicate the caller evaluates.</summary>
    public sealed record When(Func<bool> Predicate, string Description) : Readiness;
}

/// <summary>What to run and how to end it.</summary>
public sealed class KillRunOptions
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

    /// <summary>How long to wait for readiness and for the exit.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Check that the socket paths and TCP ports the child held can be taken again at once.</summary>
    public bool CheckRestart { get; init; } = true;

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
/// <param name="ExitCode">The child's exit code (128 + signal when the signal ended it).</param>
/// <param name="Leaks">What it left.</param>
/// <param name="Restart">The restart checks of what it held.</param>
/// <param name="Output">Its output.</param>
public sealed record KillRunReport(int Pid, int ExitCode, LeakReport Leaks, IReadOnlyList<RestartResult> Restart, string Output)
{
    /// <summary>True when nothing leaked and every restart check passed.</summary>
    public bool Passed => Leaks.IsClean && Restart.All(r => r.Succeeded);
}

/// <summary>Runs a program, waits until it is ready, signals it, reaps it, and reports what it left.</summary>
public static class KillRun
{
    /// <summary>Runs one kill cycle.</summary>
    /// <exception cref="VerificationException">The program did not start, did not become ready, or did not exit.</exception>
    public static async Task<KillRunReport> RunAsync(KillRunOptions options)
    {
        var baseline = Snapshot.Take(options.Snapshot);
        using var child = ChildProcess.Start(options.FileName, options.Arguments, options.Environment);
        options.Progress?.Invoke($"started pid {child.Pid}, waiting until it is ready");
        await WaitReadyAsync(child, options).ConfigureAwait(false);

        // What the child holds now: its descendants, its listening ports and socket paths.
        var ready = Snapshot.Take(options.Snapshot);
        var tree = Descendants(ready, child.Pid);
        foreach (var process in tree)
            options.Diff.TrackedProcesses.Add(process);
        var holding = new DiffOptions();
        foreach (var process in tree)
            holding.TrackedProcesses.Add(process);
        var held = Leaks.Diff(baseline, ready, holding).Leftovers;

        options.Progress?.Invoke($"ready; sending SIG{options.Signal.ToString().ToUpperInvariant()}");
        child.Signal(options.Signal);
        var exitCode = await child.WaitForExitAsync(options.Timeout).ConfigureAwait(false);
        options.Diff.TrackedProcesses.Remove(new ProcessIdentity(child.Pid, tree.FirstOrDefault(p => p.Pid == child.Pid)?.StartTime ?? -1));
        options.Progress?.Invoke($"exited with {exitCode}; letting the system settle");
        var report = await Leaks.SettleAsync(baseline, options.Snapshot, options.Diff).ConfigureAwait(false);

        var restart = new List<RestartResult>();
        if (options.CheckRestart)
        {
            foreach (var socketFile in held.Where(l => l.Kind == LeftoverKind.UnixSocketFile && !l.IsRuntimeLitter))
                restart.Add(RestartCheck.UnixSocketPath(socketFile.Identity));
            foreach (var key in ready.SysV.Where(o => o.Kind == KillSafe.Verification.Proc.SysVKind.SharedMemory && o.Key != 0 && held.Any(h => h.Kind == LeftoverKind.SysVSharedMemory && h.Identity.EndsWith($" id {o.Id}", StringComparison.Ordinal))))
                restart.Add(RestartCheck.SysVSharedMemoryKey((int)key.Key));
            foreach (var listener in held.Where(l => l.Kind == LeftoverKind.TcpListener))
            {
                var endpoint = IPEndPoint.Parse(listener.Identity["tcp ".Length..]);
                restart.Add(RestartCheck.TcpPort(endpoint.Port, endpoint.Address));
            }
        }

        return new KillRunReport(child.Pid, exitCode, report, restart, child.Output);
    }

    private static async Task WaitReadyAsync(ChildProcess child, KillRunOptions options)
    {
        switch (options.Ready)
        {
            case null:
                return;
            case Readiness.Line line:
                await child.WaitForOutputAsync(line.Text, options.Timeout).ConfigureAwait(false);
                return;
            case Readiness.FileExists file:
                await PollAsync(child, () => UnixFile.KindOf(file.Path) != UnixFileKind.Missing, $"file {file.Path} to appear", options.Timeout).ConfigureAwait(false);
                return;
            case Readiness.Port port:
                await PollAsync(child, () => Listening(port.Number), $"a listener on port {port.Number}", options.Timeout).ConfigureAwait(false);
                return;
            case Readiness.When condition:
                await PollAsync(child, condition.Predicate, condition.Description, options.Timeout).ConfigureAwait(false);
                return;
        }
    }

    private static bool Listening(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task PollAsync(ChildProcess child, Func<bool> predicate, string what, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!predicate())
        {
            if (child.HasExited)
                throw new VerificationException($"process {child.Pid} exited before {what}. Its output:\n{child.Output}");
            if (clock.Elapsed > timeout)
                throw new VerificationException($"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}. Output of process {child.Pid}:\n{child.Output}");
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>The process and all its descendants in <paramref name="snapshot"/>.</summary>
    public static IReadOnlyList<ProcessIdentity> Descendants(Snapshot snapshot, int root)
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
