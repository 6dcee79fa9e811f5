// Modes (each prints READY once the object exists, then waits to be killed):
//   bind-unix PATH        a listening Unix socket bound to PATH (managed Socket)
//   listen-tcp PORT       a TCP listener on 127.0.0.1:PORT that serves one connection and closes it first (TIME_WAIT)
//   shm                   a SysV shared memory segment (IPC_PRIVATE), attached and detached; prints its id
//   shm-key KEY           a SysV shared memory segment with the given decimal key; prints its id
//   sem                   a SysV semaphore set (IPC_PRIVATE); prints its id
//   mqueue NAME           a POSIX message queue /NAME (mq_open with O_CREAT)
//   devshm NAME           a file /dev/shm/NAME (what shm_open creates), held open as a mapping user holds it
//   bind-unix-fresh PATH  removes whatever is at PATH, then binds a listening Unix socket there
//   touch PATH            replaces PATH with a new file (a readiness file)
//   mutex NAME            holds the named Mutex NAME (a file under /tmp/.dotnet/shm)
//   hup-survivor NAME     a file /dev/shm/NAME held open, and a SIGHUP handler that keeps running (a reload)
//   pipe-server NAME      a NamedPipeServerStream NAME waiting for a client (a socket $TMPDIR/CoreFxPipe_NAME)
//   orphan                a child process (sleep 300) that outlives this one; prints its pid
//   leak-all TOKEN PATH PORT  all at once: a SysV segment with a key made from TOKEN, a POSIX semaphore /TOKEN, a
//                         Unix socket bound to PATH, a TCP listener on 127.0.0.1:PORT, and a child that outlives
//                         this one and carries TOKEN in its command line; prints the key
//   wait                  prints READY and waits
//   exit                  prints READY and returns 0
// This program leaks kernel objects on purpose: it is what the verification tests detect and sweep.
#pragma warning disable KS1001, KS1002, KS1003, KS1004, KS2001, KS5001 // KS5001: "orphan" leaves its child on purpose
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

var mode = args.Length > 0 ? args[0] : "exit";
var keep = new List<object>(); // what the program holds until it is killed
switch (mode)
{
    case "bind-unix":
        var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        unix.Bind(new UnixDomainSocketEndPoint(args[1]));
        unix.Listen(4);
        Console.WriteLine("READY");
        break;
    case "listen-tcp":
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, int.Parse(args[1])));
        listener.Listen(4);
        Console.WriteLine("READY");
        using (var connection = listener.Accept())
        {
            // Read the whole request (5 bytes), then close first with a clean FIN: this side enters TIME_WAIT.
            // Unread data at close would send RST instead, and leave no TIME_WAIT (docs/linux-facts.md).
            var buffer = new byte[5];
            int read = 0;
            while (read < buffer.Length)
                read += connection.Receive(buffer, read, buffer.Length - read, SocketFlags.None);
            connection.Shutdown(SocketShutdown.Both);
        }

        Console.WriteLine("SERVED");
        break;
    case "shm":
        int shm = Native.shmget(0 /* IPC_PRIVATE */, 4096, 0x200 /* IPC_CREAT */ | 0x180);
        Console.WriteLine($"ID {shm}");
        Console.WriteLine(shm >= 0 ? "READY" : "FAILED errno " + Marshal.GetLastPInvokeError());
        break;
    case "shm-key":
        int keyed = Native.shmget(int.Parse(args[1]), 4096, 0x200 | 0x180);
        Console.WriteLine($"ID {keyed}");
        Console.WriteLine(keyed >= 0 ? "READY" : "FAILED errno " + Marshal.GetLastPInvokeError());
        break;
    case "mqueue":
        int mq = Native.mq_open("/" + args[1], 0x40 /* O_CREAT */ | 0x2 /* O_RDWR */, 0x180, IntPtr.Zero);
        Console.WriteLine(mq >= 0 ? "READY" : "FAILED errno " + Marshal.GetLastPInvokeError());
        break;
    case "sem":
        int sem = Native.semget(0, 1, 0x200 | 0x180);
        Console.WriteLine($"ID {sem}");
        Console.WriteLine(sem >= 0 ? "READY" : "FAILED errno " + Marshal.GetLastPInvokeError());
        break;
    case "devshm":
        var shared = new FileStream(Path.Combine("/dev/shm", args[1]), FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
        shared.Write("shared state"u8);
        shared.Flush();
        keep.Add(shared);
        Console.WriteLine("READY");
        break;
    case "bind-unix-fresh":
        File.Delete(args[1]);
        var fresh = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        fresh.Bind(new UnixDomainSocketEndPoint(args[1]));
        fresh.Listen(4);
        Console.WriteLine("READY");
        break;
    case "touch":
        File.Delete(args[1]);
        File.WriteAllText(args[1], "ready");
        Console.WriteLine("READY");
        break;
    case "hup-survivor":
        var state = new FileStream(Path.Combine("/dev/shm", args[1]), FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
        keep.Add(state);
        keep.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            Console.WriteLine("RELOADED");
        }));
        Console.WriteLine("READY");
        break;
    case "pipe-server":
        var pipe = new System.IO.Pipes.NamedPipeServerStream(args[1]);
        keep.Add(pipe);
        Console.WriteLine("READY");
        break;
    case "mutex":
        var mutex = new Mutex(false, args[1]);
        mutex.WaitOne();
        keep.Add(mutex);
        Console.WriteLine("READY");
        break;
    case "orphan":
        var sleeper = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        Console.WriteLine($"CHILD {sleeper.Id}");
        Console.WriteLine("READY");
        break;
    case "leak-all":
        int key = LeakKey(args[1]);
        Console.WriteLine($"KEY {key} ID {Native.shmget(key, 4096, 0x200 | 0x180)}");
        Console.WriteLine($"SEM {Native.sem_open("/" + args[1], 0x40 /* O_CREAT */, 0x180, 1)}");
        var leakSocket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        leakSocket.Bind(new UnixDomainSocketEndPoint(args[2]));
        leakSocket.Listen(4);
        var leakListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        leakListener.Bind(new IPEndPoint(IPAddress.Loopback, int.Parse(args[3])));
        leakListener.Listen(4);
        keep.Add(leakSocket);
        keep.Add(leakListener);
        var outliving = Process.Start(new ProcessStartInfo("sh", new[] { "-c", "sleep 300; : " + args[1] }) { UseShellExecute = false })!;
        Console.WriteLine($"CHILD {outliving.Id}");
        Console.WriteLine("READY");
        break;
    case "wait":
        Console.WriteLine("READY");
        break;
    default:
        Console.WriteLine("READY");
        return 0;
}

Thread.Sleep(Timeout.Infinite);
GC.KeepAlive(keep);
return 0;

// A SysV key from a token: the tests look for it on the host afterwards (it must not be there).
static int LeakKey(string token) => 0x4b530000 | (token.Aggregate(17, (h, c) => h * 31 + c) & 0xffff);

internal static partial class Native
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int shmget(int key, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int semget(int key, int count, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr sem_open(string name, int flags, uint mode, uint value);

    [LibraryImport("librt.so.1", EntryPoint = "mq_open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mq_open(string name, int flags, uint mode, IntPtr attributes);
}
