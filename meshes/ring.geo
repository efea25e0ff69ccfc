// 2D superconducting ring (annulus) for mqm_fem, written by hand for the gmsh app.
// Lengths in micrometres: inner radius 0.5 um, outer radius 1 um. The hole is meshed (vacuum,
// fluxoid region "hole_0"). Mesh it with:  gmsh -2 -format msh41 ring.geo -o ring_from_geo.msh
// (mqm_fem reads linear triangles; keep Mesh.ElementOrder = 1).
SetFactory("OpenCASCADE");

r_in = 0.5;    // inner radius (um)
r_out = 1.0;   // outer radius (um)
h = 0.1;       // element size (um)

Disk(1) = {0, 0, 0, r_out, r_out};
Disk(2) = {0, 0, 0, r_in, r_in};
// fragment: surface 2 stays the hole, the outer disk becomes the ring
BooleanFragments{ Surface{1}; Delete; }{ Surface{2}; Delete; }

ring() = Surface In BoundingBox{-r_out - 1e-6, -r_out - 1e-6, -1e-6,
                                 r_out + 1e-6, r_out + 1e-6, 1e-6};
hole() = Surface In BoundingBox{-r_in - 1e-6, -r_in - 1e-6, -1e-6,
                                 r_in + 1e-6, r_in + 1e-6, 1e-6};
ring() -= hole();

outer_curve() = Curve In BoundingBox{-r_out - 1e-6, -r_out - 1e-6, -1e-6,
                                      r_out + 1e-6, r_out + 1e-6, 1e-6};
hole_curve() = Curve In BoundingBox{-r_in - 1e-6, -r_in - 1e-6, -1e-6,
                                     r_in + 1e-6, r_in + 1e-6, 1e-6};
outer_curve() -= hole_curve();

Physical Surface("superconductor") = {ring()};
Physical Surface("hole_0") = {hole()};
Physical Curve("outer") = {outer_curve()};
Physical Curve("hole_0_boundary") = {hole_curve()};

Mesh.MeshSizeMax = h;
Mesh.MeshSizeFromCurvature = 24;
Mesh.ElementOrder = 1;
