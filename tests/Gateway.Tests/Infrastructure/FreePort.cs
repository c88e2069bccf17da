namespace Medins.Gateway.Tests.Infrastructure;

public static class FreePort
{
    /// <summary>A loopback port nobody listens on, reserved for this test process (see TestPorts).</summary>
    public static int Next() => Medins.Platform.Testing.TestPorts.Reserve();
}
