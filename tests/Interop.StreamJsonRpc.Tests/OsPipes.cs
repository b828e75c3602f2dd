using System.IO.Pipes;

namespace SidecarKit.Interop.StreamJsonRpc.Tests;

/// <summary>
/// Two real OS pipes (anonymous pipes, the kind a child process's stdio is made of), one per direction, with both ends
/// in this process: <see cref="A"/> writes what <see cref="B"/> reads and the other way round.
/// </summary>
internal sealed class OsPipes : IDisposable
{
    private readonly AnonymousPipeServerStream _aToBWrite = new(PipeDirection.Out);
    private readonly AnonymousPipeServerStream _bToAWrite = new(PipeDirection.Out);
    private readonly AnonymousPipeClientStream _aToBRead;
    private readonly AnonymousPipeClientStream _bToARead;

    public OsPipes()
    {
        _aToBRead = new AnonymousPipeClientStream(PipeDirection.In, _aToBWrite.ClientSafePipeHandle);
        _bToARead = new AnonymousPipeClientStream(PipeDirection.In, _bToAWrite.ClientSafePipeHandle);
    }

    /// <summary>One side: it writes to <c>Output</c> and reads <c>Input</c>.</summary>
    public (Stream Input, Stream Output) A => (_bToARead, _aToBWrite);

    /// <summary>The other side.</summary>
    public (Stream Input, Stream Output) B => (_aToBRead, _bToAWrite);

    public void Dispose()
    {
        _aToBWrite.Dispose();
        _bToAWrite.Dispose();
        _aToBRead.Dispose();
        _bToARead.Dispose();
    }
}
