using System.Globalization;
using System.Net;

namespace Statehouse.Cli;

/// <summary><c>HOST:PORT</c> as the node flags take it: a name or an IPv4 address, or an IPv6 address in brackets.</summary>
internal static class HostPort
{
    /// <summary>Parses <c>HOST:PORT</c>; the result is trimmed and otherwise as given.</summary>
    /// <param name="text">The text.</param>
    /// <param name="address">The address, <c>host:port</c>.</param>
    /// <param name="port">The port, 1-65535.</param>
    /// <returns>Whether the text is a valid address.</returns>
    public static bool TryParse(string? text, out string address, out int port)
    {
        address = string.Empty;
        port = 0;
        var trimmed = text?.Trim() ?? string.Empty;
        var colon = trimmed.LastIndexOf(':');
        if (colon <= 0 || colon == trimmed.Length - 1)
        {
            return false;
        }

        var host = trimmed[..colon];
        if (!int.TryParse(trimmed.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        var valid = host.StartsWith('[')
            ? host.Length > 2 && host.EndsWith(']') && Uri.CheckHostName(host[1..^1]) == UriHostNameType.IPv6
            : Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4;
        if (!valid)
        {
            return false;
        }

        address = trimmed;
        return true;
    }

    /// <summary>
    /// The socket address of <c>HOST:PORT</c> when the host is an IP address or <c>localhost</c> (what a node's Raft
    /// listener takes), so that two spellings of one address compare equal.
    /// </summary>
    public static bool TryGetEndPoint(string address, out IPEndPoint endPoint)
    {
        endPoint = new IPEndPoint(IPAddress.None, 0);
        if (!TryParse(address, out var trimmed, out var port))
        {
            return false;
        }

        var host = trimmed[..trimmed.LastIndexOf(':')].Trim('[', ']');
        IPAddress? ip = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var parsed) ? parsed
            : null;
        if (ip is null)
        {
            return false;
        }

        endPoint = new IPEndPoint(ip, port);
        return true;
    }
}
