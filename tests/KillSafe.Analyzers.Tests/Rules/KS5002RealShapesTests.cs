using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using VerifyKS5002 = Verify<LockFileByExistenceAnalyzer, KernelLockCodeFix>;

/// <summary>KS5002 on the shapes real code has (docs/accuracy.md): files that looked like locks and were not, and a lock the rule missed.</summary>
public class KS5002RealShapesTests
{
    private static DiagnosticResult Expected(int marker, string api, string path) =>
        VerifyKS5002.Diagnostic(LockFileByExistenceAnalyzer.Rule).WithLocation(marker).WithArguments(api, path);

    [Fact]
    public Task A_name_unique_to_the_run_is_a_message_or_scratch_file_not_a_lock() => VerifyKS5002.AnalyzerAsync("""
        using System;
        using System.Diagnostics;
        using System.IO;
        class Handshake
        {
            void Send(string folder, byte[] args)
            {
                var message = Path.Combine(folder, "other_invocation_" + Guid.NewGuid().ToString("N"));
                using (var stream = new FileStream(message, FileMode.CreateNew))
                    stream.Write(args);
                while (File.Exists(message))
                    System.Threading.Thread.Sleep(100);
                File.Delete(message);
            }
            void Payload(byte[] body)
            {
                var path = Path.Combine(Path.GetTempPath(), $"patch_{Guid.NewGuid()}.json");
                try
                {
                    using var stream = new FileStream(path, FileMode.CreateNew);
                    stream.Write(body);
                }
                finally { File.Delete(path); }
            }
            void PerProcess(string dir)
            {
                var mine = Path.Combine(dir, "worker-" + Environment.ProcessId);
                using (new FileStream(mine, FileMode.CreateNew)) { }
                File.Delete(mine);
                var other = Path.Combine(dir, Process.GetCurrentProcess().Id + ".pid");
                if (File.Exists(other)) return;
                File.WriteAllText(other, "x");
                File.Delete(other);
            }
        }
        """);

    [Fact]
    public Task A_cache_file_refreshed_after_an_existence_check_is_data() => VerifyKS5002.AnalyzerAsync("""
        using System;
        using System.IO;
        class Listings
        {
            string Get(string cache, TimeSpan maxAge)
            {
                if (File.Exists(cache))
                {
                    if (DateTime.UtcNow - File.GetLastWriteTimeUtc(cache) < maxAge)
                        return cache;
                    File.Delete(cache);
                }
                Download(cache);
                return cache;
            }
            void Download(string file)
            {
                try
                {
                    using var stream = new FileStream(file, FileMode.CreateNew);
                    stream.WriteByte(1);
                }
                catch (IOException)
                {
                    File.Delete(file);
                    throw;
                }
            }
            string Found(string path)
            {
                if (File.Exists(path))
                    return path;
                File.WriteAllText(path, "fresh");
                return path;
            }
            void Refresh(string path) => File.Delete(path);
        }
        """);

    [Fact]
    public Task A_file_deleted_only_before_a_throw_is_a_broken_download_not_a_lock() => VerifyKS5002.AnalyzerAsync("""
        using System;
        using System.IO;
        class Downloader
        {
            string Save(Stream source, string file)
            {
                using (var target = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                    source.CopyTo(target);
                var saved = new FileInfo(file);
                if (saved.Length == 0)
                {
                    File.Delete(file);
                    throw new InvalidDataException("empty download: " + file);
                }

                return file;
            }
        }
        """);

    [Fact]
    public Task A_file_deleted_before_its_CreateNew_is_replaced_not_a_lock() => VerifyKS5002.AnalyzerAsync("""
        using System.IO;
        class Server
        {
            private const string LockPath = "/run/app/app.lock";
            private FileStream? _lock;
            void Start()
            {
                if (File.Exists(LockPath))
                    File.Delete(LockPath);
                _lock = new FileStream(LockPath, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            }

            public void Dispose()
            {
                _lock?.Dispose();
                File.Delete(LockPath);
            }
        }
        """);

    [Fact]
    public Task A_lock_released_in_Dispose_or_by_DeleteOnClose_is_still_a_lock_by_existence() => VerifyKS5002.AnalyzerAsync("""
        using System;
        using System.IO;
        sealed class InstanceLock : IDisposable
        {
            private const string Path = "/run/app/instance.lock";
            private FileStream? _held;
            public void Take() => _held = {|#0:new FileStream(Path, FileMode.CreateNew)|};
            public void Dispose()
            {
                _held?.Dispose();
                File.Delete(Path);
            }
        }
        class OnClose
        {
            void Run()
            {
                using var held = {|#1:new FileStream("/run/app/job.lock", FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.DeleteOnClose)|};
                Console.WriteLine("working");
            }
        }
        """,
        Expected(0, "FileStream", "/run/app/instance.lock"), Expected(1, "FileStream", "/run/app/job.lock"));

    [Fact]
    public Task Fix_turns_a_DeleteOnClose_CreateNew_lock_into_a_kernel_lock() => VerifyKS5002.CodeFixAsync("""
        using System;
        using System.IO;
        class OnClose
        {
            void Run()
            {
                using var held = {|#0:new FileStream("/run/app/job.lock", FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.DeleteOnClose)|};
                Console.WriteLine("working");
            }
        }
        """, """
        using System;
        using System.IO;
        class OnClose
        {
            void Run()
            {
                using var held = new FileStream("/run/app/job.lock", FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 4096, FileOptions.DeleteOnClose);
                Console.WriteLine("working");
            }
        }
        """, Expected(0, "FileStream", "/run/app/job.lock"));
}
