using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.EndToEnd.Tests.Evidence;

/// <summary>
/// KS5002 with real processes: a lock file taken by an existence check survives SIGKILL and the next run
/// refuses to start; the kernel lock the fix produces (FileShare.None, flock on Linux) still keeps a second
/// live instance out, and is released when the holder is SIGKILLed. The lock files live in a scratch directory.
/// </summary>
public sealed class LockFileEvidenceTests : SocketEvidence
{
    private const string Program = """
        using System;
        using System.IO;
        using System.Threading;

        string lockPath = args[0];
        if (File.Exists(lockPath))
        {
            Console.WriteLine("REFUSED");
            return 1;
        }
        File.WriteAllText(lockPath, Environment.ProcessId.ToString());
        try
        {
            Console.WriteLine("STARTED");
            Thread.Sleep(Timeout.Infinite);
        }
        finally
        {
            File.Delete(lockPath);
        }
        return 0;
        """;

    private async Task<string> StartAsync(string dll, string lockPath)
    {
        var child = Run(dll, lockPath);
        var exited = child.WaitForExitAsync(Timeout);
        var ready = child.WaitForOutputAsync("STARTED", Timeout);
        await Task.WhenAny(exited, ready);
        if (ready.IsCompletedSuccessfully)
            return "STARTED";
        await exited;
        return child.Output.Trim();
    }

    private async Task<ChildProcess> StartReadyAsync(string dll, string lockPath)
    {
        var child = Run(dll, lockPath);
        await child.WaitForOutputAsync("STARTED", Timeout);
        return child;
    }

    [Fact]
    public async Task KS5002_existence_lock_blocks_every_restart_after_SIGKILL_and_the_kernel_lock_does_not()
    {
        var flaggedDll = Build(Program, "LockFlagged");
        var lockPath = Path.Combine(Scratch.Path, $"flagged-{Environment.ProcessId}.lock");
        var first = await StartReadyAsync(flaggedDll, lockPath);
        Assert.Equal(128 + 9, await first.KillAsync(KillSignal.Kill, Timeout));
        Assert.True(File.Exists(lockPath)); // the finally never ran
        Assert.Equal("REFUSED", await StartAsync(flaggedDll, lockPath)); // and nothing runs any more

        var fixedSource = await FixedAsync(Program, LockFileByExistenceAnalyzer.DiagnosticId, new LockFileByExistenceAnalyzer(), new KernelLockCodeFix());
        Assert.Contains("FileShare.None", fixedSource);
        var fixedDll = Build(fixedSource, "LockFixed");
        var fixedLock = Path.Combine(Scratch.Path, $"fixed-{Environment.ProcessId}.lock");
        var holder = await StartReadyAsync(fixedDll, fixedLock);
        Assert.Equal("REFUSED", await StartAsync(fixedDll, fixedLock)); // still a lock while the holder lives
        Assert.Equal(128 + 9, await holder.KillAsync(KillSignal.Kill, Timeout));
        Assert.True(File.Exists(fixedLock)); // the file may stay: its existence means nothing now
        Assert.Equal("STARTED", await StartAsync(fixedDll, fixedLock)); // the kernel released the lock with the process
    }
}

/// <summary>
/// KS5003 with a real child: a file from Path.GetTempFileName stays in TMPDIR after a normal exit; the
/// program the fix produces (delete in finally) leaves nothing. TMPDIR points at a scratch directory.
/// </summary>
public sealed class TemporaryFileEvidenceTests : SocketEvidence
{
    private const string Program = """
        using System;
        using System.IO;

        class Program
        {
            static void Main()
            {
                var scratch = Path.GetTempFileName();
                File.WriteAllText(scratch, "intermediate result");
                Console.WriteLine("USED " + scratch);
            }
        }
        """;

    private const string StreamProgram = """
        using System;
        using System.IO;

        class Program
        {
            static void Main()
            {
                var scratch = Path.GetTempFileName();
                using var stream = new FileStream(scratch, FileMode.Open);
                stream.WriteByte(42);
                Console.WriteLine("USED " + stream.Name); // the path itself is used by the one stream only
            }
        }
        """;

    private async Task<string[]> RunInOwnTempAsync(string dll)
    {
        var tmp = Path.Combine(Scratch.Path, "tmp-" + Path.GetFileNameWithoutExtension(dll));
        Directory.CreateDirectory(tmp);
        var environment = new Dictionary<string, string?>(InMemoryProgram.ChildEnvironment) { ["TMPDIR"] = tmp + "/" };
        using var child = ChildProcess.Start(DotnetCli.Host, new[] { dll }, environment);
        Assert.Equal(0, await child.WaitForExitAsync(Timeout));
        Assert.Contains("USED " + tmp, child.Output); // the program really used our TMPDIR
        return Directory.GetFiles(tmp);
    }

    [Fact]
    public async Task KS5003_temporary_file_outlives_a_normal_exit_unless_deleted_in_finally()
    {
        Assert.Single(await RunInOwnTempAsync(Build(Program, "TempFlagged")));

        var fixedSource = await FixedAsync(Program, TemporaryFileNeverDeletedAnalyzer.DiagnosticId, new TemporaryFileNeverDeletedAnalyzer(), new DeleteTemporaryFileCodeFix());
        Assert.Contains("finally", fixedSource);
        Assert.Empty(await RunInOwnTempAsync(Build(fixedSource, "TempFixed")));
    }

    [Fact]
    public async Task KS5003_single_stream_temporary_file_is_gone_with_DeleteOnClose()
    {
        Assert.Single(await RunInOwnTempAsync(Build(StreamProgram, "TempStreamFlagged")));

        Assert.Contains(await AnalyzerRun.DiagnosticsAsync(StreamProgram, new TemporaryFileNeverDeletedAnalyzer()), d => d.Id == TemporaryFileNeverDeletedAnalyzer.DiagnosticId);
        var fixedSource = await AnalyzerRun.FixAllAsync(StreamProgram, new TemporaryFileNeverDeletedAnalyzer(), new DeleteTemporaryFileCodeFix(), DeleteTemporaryFileCodeFix.DeleteOnCloseKey);
        Assert.Contains("FileOptions.DeleteOnClose", fixedSource);
        Assert.DoesNotContain(await AnalyzerRun.DiagnosticsAsync(fixedSource, new TemporaryFileNeverDeletedAnalyzer()), d => d.Id == TemporaryFileNeverDeletedAnalyzer.DiagnosticId);
        Assert.Empty(await RunInOwnTempAsync(Build(fixedSource, "TempStreamFixed")));
    }
}
