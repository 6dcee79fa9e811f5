using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace KillSafe.Verification;

/// <summary>
/// A child process under test: started with redirected output, waited on until it says it is ready,
/// sent a real signal, and reaped. Disposing it SIGKILLs it if it is still running, so a failing test
/// leaves no process behind.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly object _gate = new();
    private readonly List<TaskCompletionSource> _lineWaiters = new();

    private ChildProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The child's process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Everything the child wrote to stdout and stderr so far, in arrival order.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
                return _output.ToString();
        }
    }

    /// <summary>True once the child has been reaped.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>; environment entries set to null are removed.</summary>
    /// <exception cref="VerificationException">The program could not be started.</exception>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null) =>
        StartCore(fileName, arguments, environment, workingDirectory, onLine: null);

    /// <summary>Like <see cref="Start"/>, and each line of output is also handed to <paramref name="onLine"/> as it arrives.</summary>
    internal static ChildProcess StartObserved(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment, Action<string> onLine) =>
        StartCore(fileName, arguments, environment, workingDirectory: null, onLine);

    private static ChildProcess StartCore(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment, string? workingDirectory, Action<string>? onLine)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory ?? string.Empty,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null)
                    info.Environment.Remove(key);
                else
                    info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data, onLine);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data, onLine);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new VerificationException($"cannot start '{fileName}': {e.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Append(string? line, Action<string>? onLine)
    {
        if (line is null)
            return;
        onLine?.Invoke(line);
        TaskCompletionSource[] waiters;
        lock (_gate)
        {
            _output.AppendLine(line);
            waiters = _lineWaiters.ToArray();
        }

        foreach (var waiter in waiters)
            waiter.TrySetResult();
    }

    /// <summary>Waits until a line of output contains <paramref name="text"/>.</summary>
    /// <exception cref="VerificationException">The timeout passed, or the child exited first; the message includes its output.</exception>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                if (_output.ToString().Contains(text, StringComparison.Ordinal))
                    return;
                _lineWaiters.Add(signal);
            }

            try
            {
                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero)
                    throw new VerificationException($"process {Pid} did not print '{text}' within {timeout.TotalSeconds:0.#} s. Its output:\n{Output}");
                var exited = _process.WaitForExitAsync();
                var done = await Task.WhenAny(signal.Task, exited, Task.Delay(remaining < TimeSpan.FromMilliseconds(200) ? remaining : TimeSpan.FromMilliseconds(200))).ConfigureAwait(false);
                if ((done == exited || _process.HasExited) && !Output.Contains(text, StringComparison.Ordinal))
                {
                    await DrainOutputAsync().ConfigureAwait(false);
                    if (!Output.Contains(text, StringComparison.Ordinal))
                        throw new VerificationException($"process {Pid} exited with code {_process.ExitCode} before printing '{text}'. Its output:\n{Output}");
                }
            }
            finally
            {
                lock (_gate)
                    _lineWaiters.Remove(signal);
            }
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the child (kill(2)), only while it has not been reaped.</summary>
    public void Signal(KillSignal signal)
    {
        // A reaped pid may already belong to another process: never signal after the exit was observed.
        if (_process.HasExited)
            throw new VerificationException($"process {Pid} has already exited; not sending {signal}");
        if (Tmds.Linux.LibC.kill(Pid, (int)signal) != 0)
            throw new VerificationException($"kill({Pid}, {(int)signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the child to exit and returns its exit code (128 + signal number when a signal ended it).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        // Not Process.WaitForExitAsync: with redirected output it also waits for end-of-file on the pipes,
        // which never comes while a grandchild that inherited them outlives the child.
        var deadline = DateTime.UtcNow + timeout;
        while (!_process.HasExited)
        {
            if (DateTime.UtcNow > deadline)
                throw new VerificationException($"process {Pid} did not exit within {timeout.TotalSeconds:0.#} s. Its output:\n{Output}");
            await Task.Delay(20).ConfigureAwait(false);
        }

        await DrainOutputAsync().ConfigureAwait(false);
        return _process.ExitCode;
    }

    // The last lines of output arrive after the exit; wait for end-of-file on the pipes, but not forever
    // (an orphaned grandchild may hold them open).
    private async Task DrainOutputAsync()
    {
        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _process.WaitForExitAsync(drain.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Sends <paramref name="signal"/> and reaps the child.</summary>
    public async Task<int> KillAsync(KillSignal signal, TimeSpan timeout)
    {
        Signal(signal);
        return await WaitForExitAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>SIGKILLs the child and its descendants while it has not been reaped.</summary>
    public void KillTree()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
    }

    /// <summary>SIGKILLs the child if it still runs, and reaps it.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // never started, or already reaped
        }

        _process.Dispose();
    }
}
