namespace Statehouse.Client;

/// <summary>A keyspace with its usage.</summary>
/// <param name="Definition">Its configuration.</param>
/// <param name="Keys">How many live keys it holds.</param>
/// <param name="Bytes">How many bytes of keys and values it holds.</param>
public sealed record KeyspaceDescription(KeyspaceDefinition Definition, long Keys, long Bytes);
