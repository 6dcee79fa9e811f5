using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace KillSafe.Verification.Proc;

/// <summary>
/// Reads kernel files (/proc, /sys) with as few system calls as the kernel needs. A scan reads thousands of
/// them: File.ReadAllText and File.OpenHandle take an advisory lock (flock(2)) on each file they open to honour
/// FileShare, which a kernel table does not need, and FileInfo.LinkTarget stats a link before reading it.
/// </summary>
internal static partial class ProcFile
{
    /// <summary>The whole file as text (a /proc file's size says 0, so it is read until the end).</summary>
    /// <exception cref="IOException">It is gone or cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">It is not ours to read.</exception>
    public static unsafe string ReadAllText(string path)
    {
        // open(2) and read(2) themselves: File.OpenHandle takes a shared flock(2) on every file opened for reading.
        var name = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = name)
            fd = open(p, ORdOnly | OCloExec);
        if (fd < 0)
            throw Failure(path, Marshal.GetLastPInvokeError());
        // A pooled buffer: a table of 10,000 rows is near a megabyte, and new arrays that large live on the large
        // object heap, whose every allocation may start a full garbage collection.
        var buffer = ArrayPool<byte>.Shared.Rent(16384);
        try
        {
            int length = 0;
            while (true)
            {
                nint read;
                fixed (byte* b = &buffer[length])
                    read = ReadOnce(fd, b, buffer.Length - length);
                if (read < 0)
                    throw Failure(path, Marshal.GetLastPInvokeError());
                if (read == 0)
                    break;
                length += (int)read;
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            return Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            close(fd);
        }
    }

    private static unsafe nint ReadOnce(int fd, byte* buffer, int count)
    {
        while (true)
        {
            var read = read_(fd, buffer, count);
            if (read >= 0 || Marshal.GetLastPInvokeError() != EIntr)
                return read;
        }
    }

    // The exceptions File.ReadAllText throws for the same errno: what callers already handle.
    private static Exception Failure(string path, int errno) => errno is EAcces or EPerm
        ? new UnauthorizedAccessException($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}")
        : new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);

    /// <summary>The lines of the file.</summary>
    public static IEnumerable<string> ReadLines(string path) => ReadAllText(path).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>What the symbolic link at <paramref name="path"/> names (readlink(2)), or null with its errno.</summary>
    public static unsafe string? ReadLink(string path, out int errno)
    {
        var name = Encoding.UTF8.GetBytes(path + "\0");
        var target = stackalloc byte[4096];
        long length;
        fixed (byte* p = name)
            length = readlink(p, target, 4096);
        errno = length < 0 ? Marshal.GetLastPInvokeError() : 0;
        return length < 0 ? null : Encoding.UTF8.GetString(target, (int)length);
    }

    private const int ORdOnly = 0, OCloExec = 0x80000; // O_RDONLY, O_CLOEXEC (asm-generic/fcntl.h)
    private const int EPerm = 1, EIntr = 4, EAcces = 13;

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint readlink(byte* path, byte* buffer, nint size);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int open(byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint read_(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
