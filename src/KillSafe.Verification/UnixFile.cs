using System.Runtime.InteropServices;
using System.Text;

namespace KillSafe.Verification;

/// <summary>What kind of file a path names, without following a symlink.</summary>
public enum UnixFileKind
{
    /// <summary>Nothing at the path.</summary>
    Missing,

    /// <summary>A Unix domain socket file (S_IFSOCK).</summary>
    Socket,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (never followed).</summary>
    Symlink,

    /// <summary>A FIFO (named pipe, S_IFIFO).</summary>
    Fifo,

    /// <summary>A device or anything else.</summary>
    Other,
}

/// <summary>
/// Which file a path named at one moment: the device, the inode and the birth time together. A path alone
/// is not an identity (a program may remove a stale file and create its own under the same name), nor is an
/// inode alone (ext4 reuses a freed inode number at once). The change time is not used: every write
/// changes it (docs/linux-facts.md, "File identity").
/// </summary>
/// <param name="DeviceMajor">Major number of the file system's device (statx(2) stx_dev_major).</param>
/// <param name="DeviceMinor">Minor number of the file system's device.</param>
/// <param name="Inode">Inode number.</param>
/// <param name="BirthTimeNs">Creation time in nanoseconds since the epoch, or 0 when the file system records none.</param>
public readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode, long BirthTimeNs);

/// <summary>A file seen by statx without following symlinks.</summary>
/// <param name="Path">Full path.</param>
/// <param name="Kind">File type.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="ModifiedUtc">Last modification.</param>
/// <param name="Identity">Device, inode and birth time.</param>
/// <param name="Uid">Owner user id.</param>
public sealed record FileEntry(string Path, UnixFileKind Kind, long Size, DateTime ModifiedUtc, FileIdentity Identity, uint Uid)
{
    /// <summary>Inode number.</summary>
    public ulong Inode => Identity.Inode;
}

/// <summary>File-type queries that System.IO cannot answer: it reports a socket file as a normal file.</summary>
internal static partial class UnixFile
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100; // <fcntl.h>
    private const uint StatxBasicStats = 0x7ff, StatxBtime = 0x800; // <linux/stat.h>
    private const int ENOENT = 2, EACCES = 13, ENOTDIR = 20, ENAMETOOLONG = 36, ELOOP = 40;

    /// <summary>The kind of <paramref name="path"/>, without following a symlink.</summary>
    /// <exception cref="VerificationException">statx failed for another reason than a missing or unreachable path.</exception>
    public static UnixFileKind KindOf(string path) => Stat(path)?.Kind ?? UnixFileKind.Missing;

    /// <summary>statx(2) of <paramref name="path"/> (a symlink is described, never followed), or null when nothing is there or it cannot be reached.</summary>
    /// <exception cref="VerificationException">statx failed for another reason than a missing or unreachable path.</exception>
    public static FileEntry? Stat(string path) => StatCore(path, follow: false);

    /// <summary>Like <see cref="Stat"/>, but follows a final symlink (for /proc/&lt;pid&gt;/fd/N links).</summary>
    internal static FileEntry? StatFollowing(string path) => StatCore(path, follow: true);

    private static unsafe FileEntry? StatCore(string path, bool follow)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        StatxBuffer buffer;
        int result;
        fixed (byte* p = bytes)
            result = statx(AtFdCwd, p, follow ? 0 : AtSymlinkNoFollow, StatxBasicStats | StatxBtime, &buffer);
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            // Missing, below a file, below an unreadable directory, or a link loop: nothing we may inspect.
            if (errno is ENOENT or ENOTDIR or EACCES or ELOOP or ENAMETOOLONG)
                return null;
            throw new VerificationException($"statx({path}) failed: errno {errno}");
        }

        var modified = DateTime.UnixEpoch.AddSeconds(buffer.MtimeSeconds);
        long birth = (buffer.Mask & StatxBtime) != 0 ? buffer.BtimeSeconds * 1_000_000_000 + buffer.BtimeNanoseconds : 0;
        var identity = new FileIdentity(buffer.DevMajor, buffer.DevMinor, buffer.Inode, birth);
        return new FileEntry(path, KindOfMode(buffer.Mode), (long)buffer.Size, modified, identity, buffer.Uid);
    }

    private static UnixFileKind KindOfMode(ushort mode) => (mode & 0xF000) switch // S_IFMT, <sys/stat.h>
    {
        0xC000 => UnixFileKind.Socket,
        0x8000 => UnixFileKind.Regular,
        0x4000 => UnixFileKind.Directory,
        0xA000 => UnixFileKind.Symlink,
        0x1000 => UnixFileKind.Fifo,
        _ => UnixFileKind.Other,
    };

    /// <summary>Whether this process's real user may list <paramref name="directory"/> and reach what is in it (access(2), R_OK | X_OK).</summary>
    public static unsafe bool CanList(string directory)
    {
        const int R_OK = 4, X_OK = 1; // <unistd.h>
        var bytes = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
        fixed (byte* path = bytes)
            return access(path, R_OK | X_OK) == 0;
    }

    /// <summary>
    /// The names in <paramref name="directory"/> ("." and ".." left out) with the file type that readdir(3)
    /// gives in d_type, which costs no stat of each entry; the kind is null where the file system gives none
    /// (DT_UNKNOWN) and is then learnt by a stat. d_type never follows a symlink (DT_LNK), as lstat does not.
    /// Null when the directory cannot be opened or read to the end. With <paramref name="wanted"/>, only the
    /// entries whose kind it accepts are returned (it is asked about null too), and no name is made for the rest.
    /// </summary>
    internal static unsafe List<(string Name, UnixFileKind? Kind)>? ReadDirectory(string directory, Func<UnixFileKind?, bool>? wanted = null)
    {
        if (!Environment.Is64BitProcess)
            return ReadDirectoryWithoutTypes(directory); // struct dirent below is the 64-bit layout
        var bytes = Encoding.UTF8.GetBytes(directory + "\0");
        nint handle;
        fixed (byte* p = bytes)
            handle = opendir(p);
        if (handle == 0)
            return null;
        try
        {
            var entries = new List<(string, UnixFileKind?)>();
            while (true)
            {
                // readdir returns null both at the end and on an error; only errno tells them apart. The generated
                // stub sets errno to 0 before the call.
                var entry = (byte*)readdir(handle);
                if (entry == null)
                    return Marshal.GetLastPInvokeError() == 0 ? entries : null;
                UnixFileKind? kind = entry[DirentType] switch // DT_* of <dirent.h>
                {
                    1 => UnixFileKind.Fifo,
                    4 => UnixFileKind.Directory,
                    8 => UnixFileKind.Regular,
                    10 => UnixFileKind.Symlink,
                    12 => UnixFileKind.Socket,
                    2 or 6 => UnixFileKind.Other, // character and block devices
                    _ => null,
                };
                if (wanted is not null && !wanted(kind))
                    continue;
                var name = new ReadOnlySpan<byte>(entry + DirentName, 256);
                name = name[..name.IndexOf((byte)0)];
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                    continue;
                entries.Add((Encoding.UTF8.GetString(name), kind));
            }
        }
        finally
        {
            closedir(handle);
        }
    }

    private static List<(string Name, UnixFileKind? Kind)>? ReadDirectoryWithoutTypes(string directory)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(directory).Select(path => (Path.GetFileName(path), (UnixFileKind?)null)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // struct dirent of glibc and musl on 64-bit Linux: d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1), d_name[256].
    private const int DirentType = 18, DirentName = 19;

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint opendir(byte* path);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint readdir(nint directory);

    [LibraryImport("libc")]
    private static partial int closedir(nint directory);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int access(byte* path, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int statx(int dirfd, byte* path, int flags, uint mask, StatxBuffer* buffer);

    /// <summary>struct statx (statx(2)), 256 bytes; only the fields read here are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(80)] public long BtimeSeconds;
        [FieldOffset(88)] public uint BtimeNanoseconds;
        [FieldOffset(112)] public long MtimeSeconds;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }
}
