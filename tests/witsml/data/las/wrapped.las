~Version information
 VERS.                  2.0 : CWLS LOG ASCII STANDARD - VERSION 2.0
 WRAP.                  YES : Multiple lines per depth step
~Well information
 STRT.M             910.0000 : START DEPTH
 STOP.M             909.5000 : STOP DEPTH
 STEP.M              -0.2500 : STEP
 NULL.              -999.25  : NULL VALUE
 WELL.               WRAPPED-1 : WELL
~Curve information
 DEPT.M                      : DEPTH
 DT  .US/M                   : SONIC TRANSIT TIME
 RHOB.K/M3                   : BULK DENSITY
 NPHI.V/V                    : NEUTRON POROSITY
 SFLU.OHMM                   : SHALLOW RESISTIVITY
~A
910.000
 -999.2500    2692.7075    0.3140    19.4086
909.750
 -999.2500    2712.6460    0.2852    23.3987
909.500
 -999.2500    2692.8137    0.2603    22.5909
